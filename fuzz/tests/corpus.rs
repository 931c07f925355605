//! The fuzz targets' bodies over their seed corpora, so `cargo test` keeps every seed passing
//! without any fuzzing tools; and the state commands body over a few hundred generated inputs.

use std::collections::BTreeSet;
use std::path::Path;

use drover_fuzz::job_json::{self, Outcome};
use drover_fuzz::state_commands::{self, Applied};

/// Runs `check` over every seed of `target`'s corpus, in name order.
fn each_seed<T>(target: &str, check: fn(&[u8]) -> T) -> Vec<T> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| check(&std::fs::read(path).expect("a seed reads")))
        .collect()
}

fn total(runs: impl IntoIterator<Item = Applied>) -> Applied {
    runs.into_iter()
        .fold(Applied::default(), |sum, run| Applied {
            accepted: sum.accepted + run.accepted,
            refused: sum.refused + run.refused,
        })
}

#[test]
fn job_json_seeds_pass_and_reach_every_outcome() {
    let outcomes: BTreeSet<Outcome> = each_seed("job_json", job_json::check).into_iter().collect();
    let every = [
        Outcome::NotJson,
        Outcome::NotAJob,
        Outcome::Invalid,
        Outcome::Valid,
    ];
    assert_eq!(outcomes, every.into_iter().collect());
}

#[test]
fn state_commands_seeds_pass_with_commands_taken_and_refused() {
    let applied = total(each_seed("state_commands", state_commands::check));
    assert!(
        applied.accepted > 20 && applied.refused > 0,
        "the seeds barely reach the store: {applied:?}"
    );
}

/// A poor man's fuzzing run: inputs from a fixed linear congruential generator.
#[test]
fn generated_command_sequences_keep_the_rules() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u8
    };
    let runs = (0..200).map(|i| {
        let input: Vec<u8> = (0..32 + i * 4).map(|_| next()).collect();
        state_commands::check(&input)
    });
    let applied = total(runs.collect::<Vec<_>>());
    assert!(applied.accepted > 1000, "{applied:?}");
}
