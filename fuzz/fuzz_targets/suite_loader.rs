//! libFuzzer entry point of [`ftpconform_fuzz::targets::suite_loader`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpconform_fuzz::targets::suite_loader::check(data));
