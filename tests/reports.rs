//! The report files of one real run (the embedded server, the smoke cases
//! and one case it fails, `--quiet`): the terminal shows expected vs actual,
//! the JSON validates against the schema the binary
//! prints, the JUnit XML against the common JUnit schema
//! (`tests/data/junit.xsd`, with xmllint), and the HTML page renders in
//! headless Chromium showing the summary and a ladder with a violation
//! marked. xmllint and Chromium are development dependencies installed by
//! `scripts/install-peers.sh`: these tests fail, never skip, without them.
//! `FTPCONFORM_KEEP_SCREENSHOT=DIR` keeps the screenshot as `DIR/report.png`
//! (to look at it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long one Chromium or xmllint call may take.
const TOOL_LIMIT: Duration = Duration::from_secs(60);

/// The run's folder, made once for all tests of this file.
fn run() -> &'static Path {
    static RUN: OnceLock<TempDir> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name).display().to_string();
        let reports = ["json=r.json", "junit=r.xml", "html=r.html", "markdown=r.md"];
        let mut args = vec![
            "run".to_string(),
            "--server".into(),
            "embedded".into(),
            "--case".into(),
            "server-smoke::".into(),
            "--case".into(),
            "session-usable-after-failed-retr".into(),
            "--capture-dir".into(),
            at("caps"),
        ];
        for r in reports {
            let (kind, name) = r.split_once('=').unwrap();
            args.extend(["--report".to_string(), format!("{kind}={}", at(name))]);
        }
        args.push("--quiet".into());
        let out = ftpconform(&args);
        // The failing must gives status 1: the reports are written anyway.
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "--quiet: no line per case");
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("\n  fail retr-missing-no-1yz [RFC 959 4.1.3]"),
            "{stdout}"
        );
        assert!(
            stdout.contains("    expected: 450 or 550\n    actual:   150 Sending data\n"),
            "{stdout}"
        );
        dir
    })
    .path()
}

fn ftpconform<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftpconform"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a development tool with a time limit, failing loudly if it is
/// missing.
fn tool(program: &str, args: &[String]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} is not installed ({e}): run scripts/install-peers.sh as root")
        });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > TOOL_LIMIT {
            child.kill().unwrap();
            panic!("{program} took more than {TOOL_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn json_report_of_a_real_run_validates_against_the_printed_schema() {
    let out = ftpconform(&["schema", "--report"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run().join("r.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(report["summary"]["must_failures"], 1);
}

#[test]
fn junit_report_validates_against_the_junit_schema() {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit.xsd");
    let xml = run().join("r.xml");
    let args = ["--noout", "--schema"].map(String::from);
    let mut args = args.to_vec();
    args.extend([xsd.display().to_string(), xml.display().to_string()]);
    let out = tool("xmllint", &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&xml).unwrap();
    assert!(
        body.contains(r#"<testcase name="session-usable-after-failed-retr" classname="embedded::rfc959-transfers""#),
        "{body}"
    );
    assert!(
        body.contains(
            "<failure message=\"retr-missing-no-1yz [RFC 959 4.1.3]: expected 450 or 550, got 150"
        ),
        "{body}"
    );
    assert!(body.contains("capture: "), "{body}");
}

#[test]
fn markdown_report_lists_the_failure() {
    let md = std::fs::read_to_string(run().join("r.md")).unwrap();
    assert!(
        md.contains("### fail embedded::rfc959-transfers::session-usable-after-failed-retr"),
        "{md}"
    );
    assert!(md.contains("| embedded | server-smoke | 5 |"), "{md}");
}

/// Chromium's headless flags: no network of its own, a fresh profile.
fn chromium(profile: &Path, action: &str, page: &Path) -> Output {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2400",
    ];
    let mut args: Vec<String> = args.map(String::from).to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(action.to_string());
    args.push(format!("file://{}", page.display()));
    tool("chromium", &args)
}

#[test]
fn html_report_renders_the_summary_and_a_ladder_in_chromium() {
    let page = run().join("r.html");
    let profiles = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let dom = chromium(profiles[0].path(), "--dump-dom", &page);
    let dom = text(&dom.stdout);
    assert!(
        dom.contains("id=\"summary-line\">6 cases: 5 pass, 1 fail"),
        "{dom}"
    );
    assert!(
        dom.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\""),
        "{dom}"
    );
    let png = run().join("page.png");
    let shot = format!("--screenshot={}", png.display());
    let out = chromium(profiles[1].path(), &shot, &page);
    assert!(png.exists(), "no screenshot: {}", text(&out.stderr));
    let colours = Colours::of(&png);
    // The summary bar (pass and fail), then the ladder: its data connection
    // and the band of a marked violation.
    for (name, rgb) in [
        ("pass green", [0x2c, 0xa0, 0x2c]),
        ("fail red", [0xd6, 0x27, 0x28]),
        ("data connection blue", [0x1f, 0x77, 0xb4]),
        ("violation band", [0xfd, 0xe2, 0xe2]),
    ] {
        assert!(colours.count(rgb) > 50, "no {name} in {}", png.display());
    }
    assert!(
        colours.non_white > 20_000,
        "a mostly blank page: {}",
        png.display()
    );
    if let Ok(dir) = std::env::var("FTPCONFORM_KEEP_SCREENSHOT") {
        std::fs::copy(&png, PathBuf::from(dir).join("report.png")).unwrap();
    }
}

/// The pixel colours of a screenshot.
struct Colours {
    pixels: Vec<[u8; 3]>,
    non_white: usize,
}

impl Colours {
    fn of(path: &Path) -> Colours {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let step = info.color_type.samples();
        let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()]
            .chunks(step)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        let non_white = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
        Colours { pixels, non_white }
    }

    fn count(&self, rgb: [u8; 3]) -> usize {
        self.pixels.iter().filter(|p| **p == rgb).count()
    }
}

#[test]
fn ladder_command_draws_a_capture() {
    let capture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/rfc2428-extended__epsv-list.pcap");
    let svg = run().join("epsv-list.svg");
    let out = ftpconform(&[
        "ladder".as_ref(),
        capture.as_os_str(),
        "-o".as_ref(),
        svg.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&svg).unwrap();
    assert!(
        body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{body}"
    );
    assert!(
        body.contains(">rfc2428-extended__epsv-list</text>"),
        "{body}"
    );
    assert!(body.contains("⇢ D1</text>"), "{body}");
    let missing = ftpconform(&["ladder", "no-such.pcap"]);
    assert_eq!(missing.status.code(), Some(2));
}
