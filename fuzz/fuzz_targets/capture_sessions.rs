//! libFuzzer entry point of [`ftpconform_fuzz::targets::capture_sessions`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpconform_fuzz::targets::capture_sessions::check(data));
