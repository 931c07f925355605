//! Command sequences applied to the state store: no panics, refusals change nothing,
//! invariants hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drover_fuzz::state_commands::check(data);
});
