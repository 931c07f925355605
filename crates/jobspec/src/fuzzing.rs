//! The body of the `jobspec` fuzz target (`fuzz/fuzz_targets/jobspec.rs`). It lives here so
//! that ordinary tests run it over the seed corpus in `fuzz/corpus/jobspec/` as well.

use crate::{ParseOptions, VarFile, parse, parse_to_json};

/// Parses arbitrary bytes as a jobspec (with a few variable values supplied from outside) and
/// checks that nothing panics, that a second parse gives the same answer, and that a job that
/// evaluates also decodes into the model or fails with an error.
pub fn check(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let opts = ParseOptions {
        var_flags: vec!["name=fuzz".to_owned(), "count=2".to_owned()],
        var_files: vec![VarFile {
            name: "fuzz.vars".to_owned(),
            content: "tags = [\"a\"]\n".to_owned(),
        }],
        env: vec!["NOMAD_VAR_region=global".to_owned()],
        random_seed: Some(7),
        ..ParseOptions::default()
    };
    let first = parse_to_json(src, &opts);
    assert_eq!(first, parse_to_json(src, &opts), "parsing is deterministic");
    if first.is_ok() {
        let _ = parse(src, &opts);
    }
}
