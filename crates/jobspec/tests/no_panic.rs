//! Parsing never panics, whatever the input: arbitrary text, and HCL-shaped text assembled from
//! jobspec fragments (which reaches much deeper into the evaluator than random bytes do).

use drover_jobspec::fuzzing;
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "job \"j\" {",
    "group \"g\" {",
    "task \"t\" {",
    "}",
    "{",
    "]",
    "[",
    ")",
    "(",
    "\n",
    " = ",
    "\"",
    "${",
    "%{",
    "~}",
    "for x in ",
    " : ",
    " if ",
    "=>",
    "...",
    "var.name",
    "var.count",
    "local.x",
    "locals {",
    "x = ",
    "variable \"v\" {",
    "default = ",
    "type = list(string)",
    "dynamic \"port\" {",
    "for_each = ",
    "content {",
    "labels = [port.key]",
    "iterator = p",
    "count",
    "meta {",
    "env = {",
    "config {",
    "network {",
    "port \"http\" {",
    "static = 80",
    "constraint {",
    "distinct_hosts = true",
    "scaling {",
    "max = 3",
    "template {",
    "duration = \"1h30m\"",
    "kill_timeout = ",
    "\"5s\"",
    "1.5e3",
    "-1",
    "null",
    "true",
    "attr.kernel.name",
    "NOMAD_TASK_DIR",
    "[*]",
    ".*",
    "[0]",
    ".0",
    "? 1 : 2",
    "!",
    "&&",
    "||",
    "==",
    "+",
    "/",
    "%",
    "format(\"%s%d\", ",
    "join(\",\", ",
    "range(",
    "merge(",
    "try(",
    "can(",
    "convert(",
    ", number)",
    "jsondecode(\"[1]\")",
    "uuidv4()",
    "<<EOT\n",
    "\nEOT\n",
    "<<-EOT\n",
    "cidrsubnet(\"10.0.0.0/8\", 8, ",
    "formatdate(\"YYYY\", ",
    "timeadd(\"2024-01-01T00:00:00Z\", ",
    "substr(\"abc\", ",
    "element([], ",
    "flatten(",
    "setproduct(",
    "{\"Job\": ",
    "#",
    "//",
    "/*",
    "*/",
];

fn hcl_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        fuzzing::check(src.as_bytes());
    }

    #[test]
    fn hcl_shaped_text_never_panics(src in hcl_like()) {
        fuzzing::check(src.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
        fuzzing::check(&data);
    }
}
