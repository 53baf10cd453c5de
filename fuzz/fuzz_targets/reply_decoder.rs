//! libFuzzer entry point of [`ftpconform_fuzz::targets::reply_decoder`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpconform_fuzz::targets::reply_decoder::check(data));
