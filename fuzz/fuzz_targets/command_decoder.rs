//! libFuzzer entry point of [`ftpconform_fuzz::targets::command_decoder`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpconform_fuzz::targets::command_decoder::check(data));
