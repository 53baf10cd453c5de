//! The `ftpconform` command line.
fn main() {
    println!("ftpconform");
}
