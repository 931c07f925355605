//! Expected diffs taken from the behavior Nomad's own diff tests pin down
//! (`nomad/structs/diff_test.go`), rebuilt on drover's JSON model: each case states the two
//! sides and the exact diff Nomad produces for them.

use drover_model::{Job, decode_value};
use drover_plan::diff::job_diff;
use serde_json::{Value, json};

fn field(diff_type: &str, name: &str, old: &str, new: &str) -> Value {
    json!({"Type": diff_type, "Name": name, "Old": old, "New": new, "Annotations": null})
}

fn nullable(items: Vec<Value>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::Array(items)
    }
}

fn object(diff_type: &str, name: &str, fields: Vec<Value>, objects: Vec<Value>) -> Value {
    json!({"Type": diff_type, "Name": name, "Fields": nullable(fields), "Objects": nullable(objects)})
}

fn job(mut value: Value) -> Job {
    value["ID"] = json!("example");
    decode_value(value, "Job").expect("job decodes")
}

fn diff(old: Value, new: Value, contextual: bool) -> Value {
    let d = job_diff(Some(&job(old)), Some(&job(new)), contextual).expect("diff");
    serde_json::to_value(d).expect("json")
}

/// The diff of one group named "g", given the two sides' group bodies.
fn group_diff(old: Value, new: Value, contextual: bool) -> Value {
    let wrap = |mut g: Value| {
        g["Name"] = json!("g");
        json!({"TaskGroups": [g]})
    };
    diff(wrap(old), wrap(new), contextual)["TaskGroups"][0].clone()
}

#[test]
fn datacenters_contextual() {
    let d = diff(
        json!({"Datacenters": ["foo", "bar"]}),
        json!({"Datacenters": ["foo", "bar", "baz"]}),
        true,
    );
    assert_eq!(d["Type"], "Edited");
    assert_eq!(
        d["Objects"],
        json!([object(
            "Added",
            "Datacenters",
            vec![
                field("Added", "Datacenters", "", "baz"),
                field("None", "Datacenters", "bar", "bar"),
                field("None", "Datacenters", "foo", "foo"),
            ],
            vec![],
        )])
    );
}

#[test]
fn periodic_edited_with_context() {
    let periodic = |enabled: bool, spec: &str| {
        json!({"Periodic": {"Enabled": enabled, "Spec": spec, "SpecType": "foo",
                            "ProhibitOverlap": false, "TimeZone": "Europe/Minsk"}})
    };
    let d = diff(
        periodic(false, "*/15 * * * * *"),
        periodic(true, "* * * * * *"),
        true,
    );
    assert_eq!(
        d["Objects"],
        json!([object(
            "Edited",
            "Periodic",
            vec![
                field("Edited", "Enabled", "false", "true"),
                field("None", "ProhibitOverlap", "false", "false"),
                field("Edited", "Spec", "*/15 * * * * *", "* * * * * *"),
                field("None", "SpecType", "foo", "foo"),
                field("None", "TimeZone", "Europe/Minsk", "Europe/Minsk"),
            ],
            vec![],
        )])
    );
}

#[test]
fn disconnect_strategy_edited_with_context() {
    let g = group_diff(
        json!({"Disconnect": {"LostAfter": 1_000_000_000_i64, "Replace": false,
                              "Reconcile": "longest_running", "StopOnClientAfter": 1_000_000_000_i64}}),
        json!({"Disconnect": {"LostAfter": 60_000_000_000_i64, "Replace": true,
                              "Reconcile": "best_score", "StopOnClientAfter": 1_000_000_000_i64}}),
        true,
    );
    assert_eq!(g["Type"], "Edited");
    assert_eq!(g["Fields"], Value::Null);
    assert_eq!(
        g["Objects"],
        json!([object(
            "Edited",
            "Disconnect",
            vec![
                field("Edited", "LostAfter", "1000000000", "60000000000"),
                field("Edited", "Reconcile", "longest_running", "best_score"),
                field("Edited", "Replace", "false", "true"),
                field("None", "StopOnClientAfter", "1000000000", "1000000000"),
            ],
            vec![],
        )])
    );
}

#[test]
fn networks_edited_with_context() {
    let g = group_diff(
        json!({"Networks": [{"Device": "foo", "CIDR": "foo", "IP": "foo", "MBits": 100,
                             "Hostname": "foo",
                             "ReservedPorts": [{"Label": "foo", "Value": 80}]}]}),
        json!({"Networks": [{"Device": "bar", "CIDR": "bar", "IP": "bar", "MBits": 200,
                             "Hostname": "bar",
                             "DynamicPorts": [{"Label": "bar", "To": 8081, "HostNetwork": "public"}],
                             "DNS": {"Servers": ["1.1.1.1"]}}]}),
        true,
    );
    assert_eq!(
        g["Objects"],
        json!([
            object(
                "Added",
                "Network",
                vec![
                    field("Added", "Hostname", "", "bar"),
                    field("None", "Mode", "", ""),
                ],
                vec![
                    object(
                        "Added",
                        "Dynamic Port",
                        vec![
                            field("Added", "HostNetwork", "", "public"),
                            field("Added", "Label", "", "bar"),
                            field("Added", "To", "", "8081"),
                        ],
                        vec![],
                    ),
                    object(
                        "Added",
                        "DNS",
                        vec![field("Added", "Servers", "", "1.1.1.1")],
                        vec![]
                    ),
                ],
            ),
            object(
                "Deleted",
                "Network",
                vec![
                    field("Deleted", "Hostname", "foo", ""),
                    field("None", "Mode", "", ""),
                ],
                vec![object(
                    "Deleted",
                    "Static Port",
                    vec![
                        field("None", "HostNetwork", "", ""),
                        field("Deleted", "IgnoreCollision", "false", ""),
                        field("Deleted", "Label", "foo", ""),
                        field("Deleted", "To", "0", ""),
                        field("Deleted", "Value", "80", ""),
                    ],
                    vec![],
                )],
            ),
        ])
    );
}

#[test]
fn cni_args_edited() {
    let cni = |v: &str| json!({"Networks": [{"CNI": {"Args": {"example": v}}}]});
    let g = group_diff(cni("example1"), cni("example2"), false);
    assert_eq!(
        g["Objects"],
        json!([
            object(
                "Added",
                "Network",
                vec![],
                vec![object(
                    "Added",
                    "CNIConfig",
                    vec![field("Added", "example", "", "example2")],
                    vec![]
                )],
            ),
            object(
                "Deleted",
                "Network",
                vec![],
                vec![object(
                    "Deleted",
                    "CNIConfig",
                    vec![field("Deleted", "example", "example1", "")],
                    vec![]
                )],
            ),
        ])
    );
}

#[test]
fn tasks_matched_by_name() {
    let g = group_diff(
        json!({"Tasks": [{"Name": "foo", "Driver": "docker"}, {"Name": "bar", "Driver": "docker"},
                         {"Name": "baz", "ShutdownDelay": 1_000_000_000_i64}]}),
        json!({"Tasks": [{"Name": "bar", "Driver": "docker"}, {"Name": "bam", "Driver": "docker"},
                         {"Name": "baz", "ShutdownDelay": 2_000_000_000_i64}]}),
        false,
    );
    let task = |diff_type: &str, name: &str, fields: Vec<Value>| {
        json!({"Type": diff_type, "Name": name, "Fields": nullable(fields), "Objects": null,
               "Annotations": null})
    };
    let side = |t: &str, old: bool, name: &str, value: &str| {
        if old {
            field(t, name, value, "")
        } else {
            field(t, name, "", value)
        }
    };
    let created = |t: &str, old: bool| {
        vec![
            side(t, old, "Driver", "docker"),
            side(t, old, "KillTimeout", "0"),
            side(t, old, "Leader", "false"),
            side(t, old, "ShutdownDelay", "0"),
        ]
    };
    assert_eq!(
        g["Tasks"],
        json!([
            task("Added", "bam", created("Added", false)),
            task("None", "bar", vec![]),
            task(
                "Edited",
                "baz",
                vec![field("Edited", "ShutdownDelay", "1000000000", "2000000000")]
            ),
            task("Deleted", "foo", created("Deleted", true)),
        ])
    );
}

#[test]
fn scaling_edited() {
    let scaling = |min: i64, max: i64, cooldown: &str, interval: &str| {
        json!({"Scaling": {"Enabled": true, "Min": min, "Max": max,
                           "Policy": {"cooldown": cooldown, "evaluation_interval": interval}}})
    };
    let g = group_diff(
        scaling(1, 10, "1m", "5s"),
        scaling(5, 15, "2m", "10s"),
        false,
    );
    assert_eq!(
        g["Objects"],
        json!([object(
            "Edited",
            "Scaling",
            vec![
                field("Edited", "Max", "10", "15"),
                field("Edited", "Min", "1", "5"),
            ],
            vec![object(
                "Edited",
                "Policy",
                vec![
                    field("Edited", "cooldown", "1m", "2m"),
                    field("Edited", "evaluation_interval", "5s", "10s"),
                ],
                vec![],
            )],
        )])
    );
}

#[test]
fn similar_services_matched_by_position() {
    let services = |first_tags: Value| {
        json!({"Services": [
            {"Name": "webapp", "PortLabel": "http", "Tags": first_tags},
            {"Name": "webapp", "PortLabel": "http", "Tags": ["dev"]}
        ]})
    };
    let g = group_diff(
        services(json!(["prod"])),
        services(json!(["prod", "qa"])),
        true,
    );
    let none = |name: &str, value: &str| field("None", name, value, value);
    assert_eq!(
        g["Objects"],
        json!([object(
            "Edited",
            "Service",
            vec![
                none("Address", ""),
                none("AddressMode", ""),
                none("Cluster", ""),
                none("EnableTagOverride", "false"),
                none("Kind", ""),
                none("Name", "webapp"),
                none("Namespace", ""),
                none("OnUpdate", ""),
                none("PortLabel", "http"),
                none("Provider", ""),
                none("TaskName", ""),
            ],
            vec![object(
                "Added",
                "Tags",
                vec![field("Added", "Tags", "", "qa"), none("Tags", "prod")],
                vec![],
            )],
        )])
    );
}
