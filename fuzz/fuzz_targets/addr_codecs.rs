//! libFuzzer entry point of [`ftpconform_fuzz::targets::addr_codecs`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpconform_fuzz::targets::addr_codecs::check(data));
