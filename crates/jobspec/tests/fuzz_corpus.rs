//! The fuzz target's body, run over its seed corpus (`fuzz/corpus/jobspec/`) in ordinary tests.

use drover_jobspec::{ParseOptions, fuzzing, parse_to_json};
use std::path::Path;

#[test]
fn seed_corpus_passes_the_fuzz_checks() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/jobspec");
    let mut parsed = 0;
    let mut seeds = 0;
    for entry in std::fs::read_dir(&corpus).expect("the seed corpus exists") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        fuzzing::check(&data);
        seeds += 1;
        let opts = ParseOptions {
            var_flags: vec!["name=fuzz".to_owned()],
            ..ParseOptions::default()
        };
        if parse_to_json(&String::from_utf8_lossy(&data), &opts).is_ok() {
            parsed += 1;
        }
    }
    // The corpus mixes valid jobspecs with broken ones; both kinds must stay in it.
    assert!(seeds >= 8, "only {seeds} seeds");
    assert!(
        parsed > 0 && parsed < seeds,
        "{parsed} of {seeds} seeds parse"
    );
}
