//! The fuzz target's body, run over its seed corpus (`fuzz/corpus/filter/`) in ordinary tests.

use std::path::Path;

use drover_filter::{Filter, fuzzing};

#[test]
fn seed_corpus_passes_the_fuzz_checks() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/filter");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(&corpus).expect("the seed corpus exists") {
        let path = entry.expect("a corpus entry").path();
        inputs.push(std::fs::read(&path).expect("a readable seed"));
    }
    assert!(inputs.len() >= 5, "seed corpus at {}", corpus.display());
    let mut parsed = 0;
    for input in &inputs {
        fuzzing::check(input);
        let text = std::str::from_utf8(input).expect("seeds are text");
        parsed += usize::from(Filter::parse(text).is_ok());
    }
    // The seeds cover both sides: expressions that parse and ones that are rejected.
    assert!(
        parsed >= 4 && parsed < inputs.len(),
        "{parsed} of {} seeds parse",
        inputs.len()
    );
}
