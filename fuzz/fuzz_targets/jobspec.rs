//! Jobspecs: parsing, evaluation (variables, locals, functions, dynamic blocks) and decoding.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| drover_jobspec::fuzzing::check(data));
