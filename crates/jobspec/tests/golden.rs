//! Golden parses: every `tests/specs/<name>.nomad.hcl` parses to the job JSON in
//! `tests/specs/<name>.json`. `<name>.options.json`, when present, holds the parse options
//! (`var_flags`, `env`, `var_files`, `random_seed`, `strict`). Run with `UPDATE_GOLDEN=1` to
//! rewrite the goldens after a deliberate change, then review the diff.

use drover_jobspec::{ParseOptions, VarFile, parse, parse_to_json};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs")
}

fn options(path: &Path) -> ParseOptions {
    let mut opts = ParseOptions::default();
    let Ok(text) = std::fs::read_to_string(path) else {
        return opts;
    };
    let json: Value = serde_json::from_str(&text).expect("options file is JSON");
    let strings = |key: &str| -> Vec<String> {
        json[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    opts.var_flags = strings("var_flags");
    opts.env = strings("env");
    opts.var_files = strings("var_files")
        .into_iter()
        .enumerate()
        .map(|(i, content)| VarFile {
            name: format!("vars{i}.hcl"),
            content,
        })
        .collect();
    opts.random_seed = json["random_seed"].as_u64();
    opts.strict = json["strict"].as_bool().unwrap_or(false);
    opts
}

fn spec_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(specs_dir())
        .expect("specs directory")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".nomad.hcl").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn specs_parse_to_their_goldens() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let names = spec_names();
    for name in &names {
        let dir = specs_dir();
        let src = std::fs::read_to_string(dir.join(format!("{name}.nomad.hcl"))).unwrap();
        let opts = options(&dir.join(format!("{name}.options.json")));
        let actual = match parse_to_json(&src, &opts) {
            Ok(json) => json,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if let Err(e) = parse(&src, &opts) {
            failures.push(format!("{name}: the model rejects the job: {e}"));
        }
        let golden_path = dir.join(format!("{name}.json"));
        let rendered = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        if update {
            std::fs::write(&golden_path, &rendered).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden_path) {
            Ok(expected) if expected == rendered => {}
            Ok(_) => failures.push(format!("{name}: differs from {name}.json:\n{rendered}")),
            Err(_) => failures.push(format!(
                "{name}: no golden {name}.json (run with UPDATE_GOLDEN=1)"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        names.len() >= 25,
        "expected at least 25 specs, found {}",
        names.len()
    );
}
