//! libFuzzer entry point of [`ftpconform_fuzz::targets::pcap_reader`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpconform_fuzz::targets::pcap_reader::check(data));
