//! Filter expressions evaluated against the seed's job JSON, each with the result a Nomad user
//! would see: the record matches, does not match, or the filter is rejected with a message.

use std::path::Path;

use drover_filter::Filter;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// `Ok(matched)`, or `Err(message)` for a filter that cannot be applied to the record.
type Expected = Result<bool, &'static str>;

/// Evaluates every expression against the record and reports all mismatches at once.
fn check(record: &Value, cases: &[(&str, Expected)]) {
    let mut failures = Vec::new();
    for (expression, expected) in cases {
        let actual = match Filter::parse(expression) {
            Ok(filter) => filter.evaluate(record).map_err(|e| e.to_string()),
            Err(e) => Err(format!("parse error: {e}")),
        };
        let expected = expected.map_err(str::to_owned);
        if actual != expected {
            failures.push(format!(
                "{expression}\n  expected {expected:?}\n  got      {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn equality_reads_the_literal_as_the_field_kind() {
    check(
        &fixture("job.json"),
        &[
            (r#"Status == "running""#, Ok(true)),
            ("Status == running", Ok(true)),
            ("Status == `running`", Ok(true)),
            (r#"Status == "Running""#, Ok(false)),
            (r#"Status != "running""#, Ok(false)),
            (r#"Status != "dead""#, Ok(true)),
            ("Priority == 50", Ok(true)),
            (r#"Priority == "50""#, Ok(true)),
            (r#"Priority == "0x32""#, Ok(true)),
            (r#"Priority == "5_0""#, Ok(true)),
            ("Priority != 51", Ok(true)),
            ("Priority == -50", Ok(false)),
            (
                "Priority == 50.0",
                Err(
                    r#"error getting match value in expression: strconv.ParseInt: parsing "50.0": invalid syntax"#,
                ),
            ),
            ("AllAtOnce == false", Ok(true)),
            ("AllAtOnce == F", Ok(true)),
            ("AllAtOnce == 0", Ok(true)),
            ("AllAtOnce != true", Ok(true)),
            (
                r#"AllAtOnce == "no""#,
                Err(
                    r#"error getting match value in expression: strconv.ParseBool: parsing "no": invalid syntax"#,
                ),
            ),
            (
                "TaskGroups.0.RestartPolicy.Interval == 300000000000",
                Ok(true),
            ),
            ("TaskGroups.0.Tasks.0.Lifecycle.Sidecar == false", Ok(true)),
            (r#"Constraints.0.Operand == "=""#, Ok(true)),
            ("ParentID == ``", Ok(true)),
            (
                "Datacenters == dc1",
                Err("unable to find suitable primitive comparison function for matching"),
            ),
            (
                r#"Meta == "x""#,
                Err("unable to find suitable primitive comparison function for matching"),
            ),
        ],
    );
}

#[test]
fn in_and_contains_work_on_lists_maps_and_strings() {
    check(
        &fixture("job.json"),
        &[
            (r#""dc1" in Datacenters"#, Ok(true)),
            (r#""dc2" in Datacenters"#, Ok(false)),
            (r#""dc2" not in Datacenters"#, Ok(true)),
            (r#"Datacenters contains "dc1""#, Ok(true)),
            ("Datacenters not contains dc1", Ok(false)),
            (r#""foo" in Meta"#, Ok(true)),
            (r#""bar" in Meta"#, Ok(false)),
            (r#"Meta contains "baz""#, Ok(true)),
            (r#"Name contains "amp""#, Ok(true)),
            (r#""amp" in Name"#, Ok(true)),
            (r#""AMP" in Name"#, Ok(false)),
            (
                r#""cache" in TaskGroups.0.Tasks.1.Services.0.Tags"#,
                Ok(true),
            ),
            (
                r#""5" in Priority"#,
                Err(
                    r#"cannot perform in/contains operations on type int for selector: "Priority""#,
                ),
            ),
        ],
    );
}

#[test]
fn emptiness_nil_and_regular_expressions() {
    check(
        &fixture("job.json"),
        &[
            ("ParentID is empty", Ok(true)),
            ("Name is empty", Ok(false)),
            ("Name is not empty", Ok(true)),
            ("Datacenters is not empty", Ok(true)),
            ("Meta is empty", Ok(false)),
            ("Payload is empty", Ok(true)),
            ("Payload is nil", Ok(true)),
            ("Periodic is nil", Ok(false)),
            ("Periodic is not nil", Ok(true)),
            ("TaskGroups.0.Tasks.1.Vault is nil", Ok(true)),
            (
                "Name is nil",
                Err(r#"cannot perform is-nil operations on type string for selector: "Name""#),
            ),
            (
                "Priority is empty",
                Err(r#"cannot perform is-empty operations on type int for selector: "Priority""#),
            ),
            (r#"Name matches "^ex.*e$""#, Ok(true)),
            (r#"Name matches "^EX""#, Ok(false)),
            (r#"Name not matches "^web""#, Ok(true)),
            (r#"Periodic.Spec matches `^\* \*`"#, Ok(true)),
            (
                r#"Priority matches "5""#,
                Err("value of type int is not convertible to []byte"),
            ),
        ],
    );
}

#[test]
fn selectors_reach_nested_fields() {
    check(
        &fixture("job.json"),
        &[
            ("Meta.foo == bar", Ok(true)),
            (r#"Meta["foo"] == "bar""#, Ok(true)),
            (r#"Meta[ `baz` ] == "pipe""#, Ok(true)),
            ("Periodic.Enabled == true", Ok(true)),
            (r#"Periodic.Spec == "* * * * *""#, Ok(true)),
            ("TaskGroups.0.Name == cache", Ok(true)),
            (r#"TaskGroups["0"].Name == "cache""#, Ok(true)),
            (r#"TaskGroups.0.Tasks.1.Env.foo == "bar""#, Ok(true)),
            (
                "TaskGroups.0.Tasks.1.Config.port_map.0.db == 6379",
                Ok(true),
            ),
            (r#""/Meta/foo" == "bar""#, Ok(true)),
            (
                r#""/TaskGroups/0/Tasks/0/Config/image" == alpine"#,
                Ok(true),
            ),
            // go-bexpr reads a quoted value that looks like a JSON pointer as one, so "/bar" is
            // compared as "bar".
            (r#"Meta.foo == "/bar""#, Ok(true)),
            (
                r#"TaskGroups.1.Name == "x""#,
                Err(
                    "error finding value in datum: /TaskGroups/1/Name at part 1: index 1 is out of range (length = 1)",
                ),
            ),
            (
                r#"TaskGroups.first.Name == "x""#,
                Err(
                    r#"error finding value in datum: /TaskGroups/first/Name at part 1: couldn't convert value "first" to type int"#,
                ),
            ),
            (
                r#"Meta.foo.bar == "x""#,
                Err(
                    "error finding value in datum: /Meta/foo/bar: at part 2, invalid value kind: string",
                ),
            ),
        ],
    );
}

#[test]
fn missing_keys_follow_go_bexpr_dispositions() {
    check(
        &fixture("job.json"),
        &[
            (r#"Meta.missing == "x""#, Ok(false)),
            (r#"Meta.missing != "x""#, Ok(true)),
            ("Meta.missing is empty", Ok(true)),
            ("Meta.missing is not empty", Ok(false)),
            (r#""x" in Meta.missing"#, Ok(false)),
            (r#""x" not in Meta.missing"#, Ok(true)),
            (r#"Meta.missing matches ".""#, Ok(false)),
            (r#"Meta.missing not matches ".""#, Ok(true)),
            ("Meta.missing is nil", Ok(true)),
            ("Meta.missing is not nil", Ok(false)),
            (
                r#"Missing == "x""#,
                Err(
                    r#"error finding value in datum: /Missing at part 0: couldn't find key: struct field with name "Missing""#,
                ),
            ),
            (
                r#"not Missing == "x""#,
                Err(
                    r#"error finding value in datum: /Missing at part 0: couldn't find key: struct field with name "Missing""#,
                ),
            ),
            (
                "Periodic.Unknown.X == 1",
                Err(
                    r#"error finding value in datum: /Periodic/Unknown/X at part 1: couldn't find key "Unknown""#,
                ),
            ),
            (
                "status == running",
                Err(
                    r#"error finding value in datum: /status at part 0: couldn't find key: struct field with name "status""#,
                ),
            ),
        ],
    );
}

#[test]
fn boolean_operators_and_precedence() {
    check(
        &fixture("job.json"),
        &[
            (r#"Status == "running" and Priority == 50"#, Ok(true)),
            (r#"Status == "running" and Priority == 51"#, Ok(false)),
            (r#"Status == "pending" or Priority == 50"#, Ok(true)),
            (r#"not Status == "pending""#, Ok(true)),
            (r#"not (Status == "running" and Priority == 50)"#, Ok(false)),
            (r#"not not Status == "running""#, Ok(true)),
            (
                r#"(Status == "pending" or Type == "batch") and "dc1" in Datacenters"#,
                Ok(true),
            ),
            // `and` binds tighter than `or`.
            (
                r#"Status == "pending" or Type == "batch" and Priority == 1"#,
                Ok(false),
            ),
            (
                r#"Type == "batch" and Priority == 1 or Status == running"#,
                Ok(true),
            ),
            (
                r#"Name == "example" and (Type == "service" or Type == "batch")"#,
                Ok(true),
            ),
            // Evaluation stops at the first operand that decides.
            (r#"Status == "pending" and Missing == 1"#, Ok(false)),
            (r#"Status == "running" or Missing == 1"#, Ok(true)),
            (
                r#"Status == "running" and Missing == 1"#,
                Err(
                    r#"error finding value in datum: /Missing at part 0: couldn't find key: struct field with name "Missing""#,
                ),
            ),
            ("\n\t( Status == running )\r\n", Ok(true)),
        ],
    );
}

#[test]
fn collections_bind_keys_indexes_and_elements() {
    check(
        &fixture("job.json"),
        &[
            (r#"any TaskGroups as tg { tg.Name == "cache" }"#, Ok(true)),
            ("all TaskGroups as tg { tg.Count == 2 }", Ok(false)),
            (r#"any Datacenters as dc { dc == "dc1" }"#, Ok(true)),
            (r#"all Meta as k { k matches "^(foo|baz)$" }"#, Ok(true)),
            (
                r#"any Meta as k, v { k == "foo" and v == "bar" }"#,
                Ok(true),
            ),
            (r#"any Meta as _, v { v == "pipe" }"#, Ok(true)),
            ("any Datacenters as i, _ { i == 0 }", Ok(true)),
            (
                r#"any TaskGroups as tg { any tg.Tasks as t { t.Driver == "docker" and t.Name == redis } }"#,
                Ok(true),
            ),
            (
                "all TaskGroups.0.Tasks as t { t.Resources.CPU == 100 }",
                Ok(false),
            ),
            ("all Meta.missing as x { x == 1 }", Ok(true)),
            ("any Meta.missing as x { x == 1 }", Ok(false)),
            ("any TaskGroups as tg { tg.Unknown == 1 }", Ok(false)),
            (
                r#"Status == running and (any TaskGroups as tg { "cache" in tg.Tasks.1.Services.0.Tags })"#,
                Ok(true),
            ),
            (
                "any Meta as k { k.x == 1 }",
                Err("/k references a string so /k/x is invalid"),
            ),
            (
                "all Priority as p { p == 1 }",
                Err("Priority is not a list or a map"),
            ),
            (
                r#"any Meta as k, k { k == "foo" }"#,
                Err(r#""k" cannot be used as a placeholder for both the index and the value"#),
            ),
            (
                "any TaskGroups as tg { tg.Tasks.5.Name == x }",
                Err(
                    "error finding value in datum: /TaskGroups/0/Tasks/5/Name at part 3: index 5 is out of range (length = 2)",
                ),
            ),
        ],
    );
}

#[test]
fn null_maps_mixed_lists_and_large_numbers() {
    let record = json!({
        "Meta": null,
        "Tags": [1, "1", true, null, 2.5],
        "Big": 18446744073709551615u64,
        "Ratio": 0.5,
        "Odd": {"a/b": 1, "t~": 2, "": 3, "sp ace": 4}
    });
    check(
        &record,
        &[
            (r#"Meta.env == "x""#, Ok(false)),
            (r#"Meta.env != "x""#, Ok(true)),
            ("Meta is empty", Ok(true)),
            ("Meta is nil", Ok(true)),
            (r#""x" in Meta"#, Ok(false)),
            (r#""1" in Tags"#, Ok(true)),
            ("true in Tags", Ok(true)),
            ("2.5 in Tags", Ok(true)),
            ("x in Tags", Ok(false)),
            (
                r#""99999999999999999999" in Tags"#,
                Err("error getting interface slice match value in expression"),
            ),
            ("Big == 18446744073709551615", Ok(true)),
            ("Ratio == 0.5", Ok(true)),
            (r#"Ratio == ".5""#, Ok(true)),
            (r#""/Odd/a~1b" == 1"#, Ok(true)),
            (r#""/Odd/t~0" == 2"#, Ok(true)),
            (r#"Odd[""] == 3"#, Ok(true)),
            (r#"Odd["sp ace"] == 4"#, Ok(true)),
            (
                r#""" == 5"#,
                Err(
                    r#"error finding value in datum: / at part 0: couldn't find key: struct field with name """#,
                ),
            ),
        ],
    );
}

#[test]
fn filters_a_job_list() {
    let jobs = fixture("jobs.json");
    let jobs = jobs.as_array().expect("a list of job stubs");
    let ids = |expression: &str| -> Vec<&str> {
        let filter = Filter::parse(expression).expect("expression parses");
        jobs.iter()
            .filter(|job| filter.matches(job))
            .map(|job| job["ID"].as_str().expect("an ID"))
            .collect()
    };
    assert_eq!(ids(r#"Status == "running""#), ["web", "sysagent"]);
    assert_eq!(
        ids(r#""dc2" in Datacenters"#),
        ["web", "nightly-report", "sysagent"]
    );
    assert_eq!(
        ids("Meta.team == payments or Priority == 100"),
        ["web", "sysagent"]
    );
    assert_eq!(
        ids(r#"Meta.team != "payments""#),
        ["example", "nightly-report", "sysagent"]
    );
    assert_eq!(ids("Meta is empty"), ["example", "sysagent"]);
    assert_eq!(
        ids(r#"Type != "service" and not Priority == 30"#),
        ["sysagent"]
    );
    assert_eq!(ids(r#"ID matches "^(web|sys)""#), ["web", "sysagent"]);
    // A record the filter cannot be applied to does not match; `evaluate` says why.
    assert_eq!(ids("Periodic == true"), ["nightly-report"]);
}
