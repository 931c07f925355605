//! The design's dependency rule, checked: every workspace crate may depend only on the crates of
//! ours listed for it, and only the agent may pull in I/O frameworks.

use std::collections::BTreeSet;
use std::path::Path;

/// Which of our crates each crate may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("filter", &[]),
    ("jobspec", &["drover-model"]),
    ("state", &["drover-model"]),
    ("broker", &["drover-model"]),
    ("plan", &["drover-model", "drover-state"]),
    (
        "core",
        &[
            "drover-model",
            "drover-filter",
            "drover-jobspec",
            "drover-state",
            "drover-plan",
            "drover-broker",
        ],
    ),
    ("agent", &["drover-core"]),
];

/// Crates that do I/O or own a runtime: the core crates must not know them.
const AGENT_ONLY: &[&str] = &["tokio", "axum", "tower-http", "tower", "hyper", "clap"];

fn dependencies(krate: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates")
        .join(krate)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn every_crate_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = ALLOWED.iter().map(|(c, _)| c.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "a crate was added or removed: update ALLOWED"
    );
}

#[test]
fn dependencies_point_one_way() {
    for (krate, allowed) in ALLOWED {
        for dep in dependencies(krate) {
            if dep.starts_with("drover") {
                assert!(
                    allowed.contains(&dep.as_str()),
                    "crates/{krate} must not depend on {dep}"
                );
            }
        }
    }
}

#[test]
fn only_the_agent_does_io() {
    for (krate, _) in ALLOWED.iter().filter(|(c, _)| *c != "agent") {
        for dep in dependencies(krate) {
            assert!(
                !AGENT_ONLY.contains(&dep.as_str()),
                "crates/{krate} must not depend on {dep}: only the agent does I/O"
            );
        }
    }
}
