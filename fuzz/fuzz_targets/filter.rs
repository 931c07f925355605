//! Filter expressions: parsing, the canonical text round trip, and evaluation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| drover_filter::fuzzing::check(data));
