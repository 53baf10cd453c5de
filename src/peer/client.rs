pub async fn run_case() {}
