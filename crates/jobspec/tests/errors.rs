//! Errors say what is wrong and where, as `<file>:<line>,<col>-<col>: <summary>; <detail>`.

use drover_jobspec::{JobspecError, ParseOptions, VarFile, parse_to_json};

#[track_caller]
fn check_with(src: &str, opts: &ParseOptions, expected: &str) {
    match parse_to_json(src, opts) {
        Ok(json) => panic!("expected an error, got {json}"),
        Err(e) => assert_eq!(e.to_string(), expected),
    }
}

#[track_caller]
fn check(src: &str, expected: &str) {
    check_with(src, &ParseOptions::default(), expected);
}

fn in_task(snippet: &str) -> String {
    format!(
        "job \"j\" {{\n  group \"g\" {{\n    task \"t\" {{\n      {snippet}\n    }}\n  }}\n}}\n"
    )
}

#[test]
fn empty_and_blank_specs() {
    assert_eq!(
        parse_to_json("", &ParseOptions::default()),
        Err(JobspecError::Empty)
    );
    check(
        "  \n",
        "input.hcl: Missing job block; A job block is required",
    );
}

#[test]
fn syntax_errors_point_at_the_offending_character() {
    check(
        "job \"x\" {\n  group \"g\" {\n    count = \n  }\n}\n",
        "input.hcl:3,13-13: Invalid HCL syntax; Invalid expression; expected `\"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, letter or digit.",
    );
    check(
        "{\"Job\": {\"ID\": }}",
        "input.hcl:1,16-17: Invalid JSON; expected value at line 1 column 16",
    );
}

#[test]
fn unknown_attributes_and_blocks_are_rejected() {
    check(
        "job \"j\" {\n  group \"g\" {\n    cont = 1\n  }\n}\n",
        "input.hcl:3,5-9: Unsupported argument; An argument named \"cont\" is not expected here.",
    );
    check(
        "job \"j\" {\n  grup \"g\" {}\n}\n",
        "input.hcl:2,3-11: Unsupported block type; Blocks of type \"grup\" are not expected here.",
    );
    check(
        "jobs \"j\" {}\n",
        "input.hcl:1,1-9: Unsupported block type; Blocks of type \"jobs\" are not expected here.",
    );
}

#[test]
fn block_labels_and_repetition() {
    check(
        "job \"j\" {\n  group {}\n}\n",
        "input.hcl:2,3-8: Missing name for group; All group blocks must have 1 label(s).",
    );
    check(
        "job \"j\" {\n  update {}\n  update {}\n}\n",
        "input.hcl:3,3-9: Duplicate update block; update may not be defined more than once.",
    );
    check(
        "job \"a\" {}\njob \"b\" {}\n",
        "input.hcl:2,1-8: Duplicate job block; Only one block of type \"job\" is allowed.",
    );
    check(
        &in_task("env = { a = \"b\" }\n      env { c = \"d\" }"),
        "input.hcl:5,7-10: Duplicate env block; env may not be defined more than once.",
    );
}

#[test]
fn values_of_the_wrong_type() {
    check(
        "job \"j\" {\n  group \"g\" {\n    count = \"many\"\n  }\n}\n",
        "input.hcl:3,13-19: Unsuitable value type; Unsuitable value: a number is required, not the string \"many\"",
    );
    check(
        &in_task("kill_timeout = \"5 seconds\""),
        "input.hcl:4,22-33: Unsuitable value type; Unsuitable value: time: unknown unit \" seconds\" in duration \"5 seconds\"",
    );
    check(
        "job \"j\" {\n  spread {\n    weight = 300\n  }\n}\n",
        "input.hcl:3,14-17: Unsuitable value type; Unsuitable value: value must be a whole number, between -128 and 127",
    );
    check(
        "job \"j\" {\n  datacenters = \"dc1\"\n}\n",
        "input.hcl:2,17-22: Unsuitable value type; Unsuitable value: list of string required",
    );
    check(
        &in_task("env = [\"a\"]"),
        "input.hcl:4,13-18: Unsuitable value type; Unsuitable value: map of string required",
    );
    check(
        "job \"j\" {\n  meta {\n    list = \"${[1]}\"\n  }\n}\n",
        "input.hcl:3,12-20: Unsuitable value type; Unsuitable value: string required",
    );
}

#[test]
fn required_arguments_and_nomad_rules() {
    check(
        &in_task("lifecycle {\n        sidecar = true\n      }"),
        "input.hcl:4,7-16: Missing required argument; The argument \"hook\" is required, but no definition was found.",
    );
    check(
        &in_task("scaling \"disk\" {\n        max = 1\n      }"),
        "input.hcl:4,7-21: Invalid scaling policy name; scaling policy name must be \"cpu\" or \"mem\"",
    );
    check(
        &in_task(
            "scaling \"cpu\" {\n        max = 1\n      }\n      scaling \"cpu\" {\n        max = 2\n      }",
        ),
        "input.hcl:3,5-13: Duplicate scaling \"cpu\" block; Only one scaling cpu block is allowed.",
    );
    check(
        "job \"j\" {\n  group \"g\" {\n    scaling {\n      min = 1\n    }\n  }\n}\n",
        "input.hcl:3,5-12: Missing required argument; The argument \"max\" is required, but no definition was found.",
    );
    check(
        "job \"j\" {\n  group \"g\" {\n    scaling {\n      max  = 3\n      type = \"vertical\"\n    }\n  }\n}\n",
        "input.hcl:3,5-12: Invalid group scaling type; task group scaling policy had invalid type: \"vertical\"",
    );
}

#[test]
fn evaluation_errors() {
    check(
        "job \"j\" {\n  region = nope(1)\n}\n",
        "input.hcl:2,12-19: Call to unknown function; There is no function named \"nope\".",
    );
    check(
        "job \"j\" {\n  region = file(\"/etc/passwd\")\n}\n",
        "input.hcl:2,12-31: Error in function call; Call to function \"file\" failed: filesystem function disabled.",
    );
    check(
        "job \"j\" {\n  region = var.missing\n}\n",
        "input.hcl:2,15-23: Unsupported attribute; This object does not have an attribute named \"missing\".",
    );
    check(
        "job \"j\" {\n  region = \"${[\"a\"]}-x\"\n}\n",
        "input.hcl:2,15-20: Invalid template interpolation value; Cannot include the given value in a string template: string required, not list.",
    );
    check(
        "job \"j\" {\n  priority = 1 / 0\n}\n",
        "input.hcl:2,14-19: Invalid operand; Can't divide by zero.",
    );
    check(
        "locals {\n  a = local.b\n  b = local.a\n}\njob \"j\" {}\n",
        "input.hcl:2,12-14: Unsupported attribute; This object does not have an attribute named \"b\".",
    );
}

#[test]
fn variable_errors() {
    check(
        "variable \"image\" {}\njob \"j\" {}\n",
        "input.hcl:1,1-17: Unset variable \"image\"; A used variable must be set or have a default value; see https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables for details.",
    );
    check(
        "variable \"n\" {\n  type = number\n  default = 20\n  validation {\n    condition = var.n < 10\n    error_message = \"Too many.\"\n  }\n}\njob \"j\" {}\n",
        "input.hcl:4,3-13: Invalid value for default variable; Too many.\n\nThis was checked by the validation rule at input.hcl:4,3-13.",
    );
    check(
        "variable \"n\" {\n  type = number\n  default = \"x\"\n}\njob \"j\" {}\n",
        "input.hcl:3,13-16: Invalid default value for variable; This default value is not compatible with the variable's type constraint: a number is required, not the string \"x\".",
    );
    check(
        "variable \"n\" {\n  type = numbr\n}\njob \"j\" {}\n",
        "input.hcl:2,10-15: Invalid type specification; The keyword \"numbr\" is not a valid type.",
    );
    check(
        "variable \"n\" {\n  default = 1\n  validation {\n    condition = var.other > 1\n    error_message = \"No.\"\n  }\n}\njob \"j\" {}\n",
        "input.hcl:4,17-26: Invalid reference in variable validation; The condition for variable \"n\" can only refer to the variable itself, using var.n.",
    );
    check(
        "variable \"a\" {}\nvariable \"a\" {}\njob \"j\" {}\n",
        "input.hcl:2,1-13: Duplicate variable; Duplicate a variable definition found.",
    );
}

#[test]
fn variable_value_errors_name_their_source() {
    let spec = "variable \"ports\" {\n  type = list(number)\n}\njob \"j\" {}\n";
    let flags = ParseOptions {
        var_flags: vec!["ports=[\"x\"]".to_owned()],
        ..ParseOptions::default()
    };
    check_with(
        spec,
        &flags,
        "<value for var.ports from arguments>: Invalid argument value for -var variable; The value for ports is not compatible with the variable's type constraint: a number is required, not the string \"x\".",
    );
    let file = ParseOptions {
        var_files: vec![VarFile {
            name: "prod.vars".to_owned(),
            content: "\nports = [1, \"y\"]\n".to_owned(),
        }],
        ..ParseOptions::default()
    };
    check_with(
        spec,
        &file,
        "prod.vars:2,9-17: Invalid value for variable; The value for ports is not compatible with the variable's type constraint: a number is required, not the string \"y\".",
    );
    let strict = ParseOptions {
        var_flags: vec!["ports=[1]".to_owned(), "nope=1".to_owned()],
        strict: true,
        ..ParseOptions::default()
    };
    check_with(
        spec,
        &strict,
        "<value for var.nope from arguments>: Undefined -var variable; A \"nope\" variable was passed in the command line but was not found in known variables. To declare variable \"nope\", place this block in your job file",
    );
    let declared_in_file = ParseOptions {
        var_files: vec![VarFile {
            name: "vars.hcl".to_owned(),
            content: "variable \"ports\" {}\n".to_owned(),
        }],
        ..ParseOptions::default()
    };
    check_with(
        spec,
        &declared_in_file,
        "vars.hcl:1,1-17: Variable declaration in a .var file; A .var file is used to assign values to variables that have already been declared in job files, not to declare new variables. To declare variable \"ports\", place this block in one of your job files\n\nTo set a value for this variable, use the definition syntax instead:\n    ports = <value>",
    );
}

#[test]
fn runaway_evaluations_are_cut_short() {
    let mut doubling = String::from("locals {\n  s0 = \"xxxxxxxxxxxxxxxx\"\n");
    for i in 1..=20 {
        doubling.push_str(&format!(
            "  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n",
            i - 1,
            i - 1
        ));
    }
    doubling.push_str("}\njob \"j\" {}\n");
    check(
        &doubling,
        "input.hcl:21,9-35: Value too large; An expression may produce at most 4194304 bytes of data.",
    );
    check(
        "job \"j\" {\n  meta = { for i in range(60000) : i => [for j in range(60000) : j] }\n}\n",
        "input.hcl:2,66-67: Evaluation limit exceeded; A jobspec may evaluate at most 1000000 expressions.",
    );
}
