//! Job JSON: decoding, canonicalization, validation and the JSON round trip of valid jobs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drover_fuzz::job_json::check(data);
});
