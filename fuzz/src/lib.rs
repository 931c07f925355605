//! drover-fuzz: the bodies of the fuzz targets that have no home in a crate of their own. Each
//! is a plain function over bytes, so the libFuzzer binaries in `fuzz_targets/` and the
//! ordinary tests in `tests/` (over the seed corpus in `corpus/<target>/`) run the same code.
//!
//! It must not know about libFuzzer: the binaries wrap these functions.

#![forbid(unsafe_code)]

pub mod job_json;
pub mod state_commands;
