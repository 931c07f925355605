//! Every field a jobspec sets must survive the trip into drover's job model: parse each golden
//! spec, serialize the resulting `Job`, and compare with the jobspec's JSON. The fields the model
//! does not carry yet are listed here, so the list shrinks as the model grows.

/// Jobspec fields drover's model drops (or spells differently) today.
const NOT_IN_MODEL: &[&str] = &[
    // Nomad's api.ChangeScript has run_on_first_render; the model's ChangeScript does not.
    "Job.TaskGroups[].Tasks[].Templates[].ChangeScript.RunOnFirstRender",
];

use drover_jobspec::{ParseOptions, parse, parse_to_json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Paths (with list indexes dropped) where `expected` has a value that `actual` lacks or
/// changes.
fn lost(expected: &Value, actual: &Value, path: &str, out: &mut BTreeSet<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let child = format!("{path}.{key}");
                match a.get(key) {
                    Some(found) => lost(value, found, &child, out),
                    None => {
                        out.insert(child);
                    }
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (value, found) in e.iter().zip(a) {
                lost(value, found, &format!("{path}[]"), out);
            }
        }
        (e, a) if e == a => {}
        // Nomad's JSON writes empty lists and maps as null.
        (Value::Array(e), Value::Null) if e.is_empty() => {}
        (Value::Object(e), Value::Null) if e.is_empty() => {}
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => {}
        _ => {
            out.insert(path.to_owned());
        }
    }
}

#[test]
fn the_model_keeps_every_field_a_jobspec_sets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let mut missing = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".nomad.hcl") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let opts = ParseOptions {
            random_seed: Some(1),
            ..ParseOptions::default()
        };
        let (Ok(json), Ok(job)) = (parse_to_json(&src, &opts), parse(&src, &opts)) else {
            continue;
        };
        let back = serde_json::to_value(&job).unwrap();
        lost(&json, &back, "Job", &mut missing);
    }
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    assert_eq!(missing, NOT_IN_MODEL);
}
