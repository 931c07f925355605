//! Expressions that do not parse, with the text an agent sends back in its HTTP 400. The texts
//! are go-bexpr's own (most come from its grammar tests), positions included.

use drover_filter::{Filter, FilterError, Position};

fn check(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (expression, expected) in cases {
        match Filter::parse(expression) {
            Ok(filter) => failures.push(format!("{expression:?} parsed as {filter}")),
            Err(error) if error.to_string() == *expected => {}
            Err(error) => failures.push(format!(
                "{expression:?}\n  expected {expected}\n  got      {error}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rule_errors_name_the_rule_and_position() {
    check(&[
        (
            r#"foo == "12x"#,
            r#"1:12 (11): rule "string": Unterminated string literal"#,
        ),
        (
            "foo == `12x",
            r#"1:12 (11): rule "string": Unterminated string literal"#,
        ),
        (
            "foo == 3x",
            r#"1:9 (8): rule "number": Invalid number literal"#,
        ),
        (
            "Priority == 0x32",
            r#"1:14 (13): rule "number": Invalid number literal"#,
        ),
        ("foo[3] == abc", r#"1:5 (4): rule "index": Invalid index"#),
        (
            r#"x in foo["abc""#,
            r#"1:15 (14): rule "index": Unclosed index expression"#,
        ),
        (
            r#"foo["abc" == 3"#,
            r#"1:11 (10): rule "index": Unclosed index expression"#,
        ),
        ("x in 32", r#"1:6 (5): rule "match": Invalid selector"#),
        (
            "(foo == 4",
            r#"1:10 (9): rule "grouping": Unmatched parentheses"#,
        ),
        (
            r#"foo == "\q""#,
            r#"1:8 (7): rule "string": invalid syntax"#,
        ),
        // A double-quoted string ends at the first quote, escaped or not.
        (
            r#"foo == "a\"b""#,
            r#"1:8 (7): rule "string": invalid syntax"#,
        ),
        (
            r#"Name matches "[""#,
            r#"1:14 (13): rule "match": failed to compile regular expression "[": unclosed character class"#,
        ),
        (
            r#"Name matches "(a{1000}){1000}""#,
            r#"1:14 (13): rule "match": failed to compile regular expression "(a{1000}){1000}": Compiled regex exceeds size limit of 1048576 bytes."#,
        ),
    ]);
}

#[test]
fn no_match_lists_what_was_expected_at_the_farthest_position() {
    check(&[
        (
            "32 == 32",
            r#"1:4 (3): no match found, expected: "in", "not" or [ \t\r\n]"#,
        ),
        (
            "32 is empty",
            r#"1:4 (3): no match found, expected: "in", "not" or [ \t\r\n]"#,
        ),
        (
            "x in foo abc",
            r#"1:10 (9): no match found, expected: "and", "or", [ \t\r\n] or EOF"#,
        ),
        (
            "x in foo and ",
            r#"1:14 (13): no match found, expected: "(", "-", "0", "\"", "`", "not", [ \t\r\n], [1-9] or [a-zA-Z]"#,
        ),
        (
            "x in foo or ",
            r#"1:13 (12): no match found, expected: "(", "-", "0", "\"", "`", "all", "any", "not", [ \t\r\n], [1-9] or [a-zA-Z]"#,
        ),
        (
            "x in foo or not ",
            r#"1:17 (16): no match found, expected: "!=", "(", "-", "0", "==", "\"", "`", "contains", "in", "is", "matches", "not", [ \t\r\n], [1-9] or [a-zA-Z]"#,
        ),
        (
            r#""/hy-phen/under_score/pi|pe/do.t/ti~lde/" == 3"#,
            r#"1:43 (42): no match found, expected: "in", "not" or [ \t\r\n]"#,
        ),
        (
            r#"all group.tasks as { t.name == "hello" }"#,
            r#"1:20 (19): no match found, expected: "_", [ \t\r\n] or [a-zA-Z]"#,
        ),
        (
            r#"all as t { t.name == "hello" }"#,
            r#"1:8 (7): no match found, expected: "as" or [ \t\r\n]"#,
        ),
        (
            "",
            r#"1:1 (0): no match found, expected: "(", "-", "0", "\"", "`", "all", "any", "not", [ \t\r\n], [1-9] or [a-zA-Z]"#,
        ),
        (
            "Status = running",
            r#"1:8 (7): no match found, expected: "!=", "==", "contains", "in", "is", "matches", "not" or [ \t\r\n]"#,
        ),
        (
            "Status == running AND Priority == 50",
            r#"1:19 (18): no match found, expected: "and", "or", [ \t\r\n] or EOF"#,
        ),
        // A collection is only allowed as the last operand of `or`, or in parentheses.
        (
            "a == 1 and any b as c { c == 1 }",
            r#"1:16 (15): no match found, expected: "!=", "==", "contains", "in", "is", "matches", "not" or [ \t\r\n]"#,
        ),
    ]);
}

#[test]
fn positions_count_lines_and_characters() {
    check(&[
        (
            "Status == running and\n  Priority = 5",
            r#"2:12 (33): no match found, expected: "!=", "==", "contains", "in", "is", "matches", "not" or [ \t\r\n]"#,
        ),
        (
            "Name == \"é\nx\"",
            r#"1:9 (8): rule "string": invalid syntax"#,
        ),
        (
            "Naïve == 1",
            r#"1:3 (2): no match found, expected: "!=", ".", "==", "[", [ \t\r\n] or [a-zA-Z0-9_/]"#,
        ),
    ]);
    let error = Filter::parse("Status == running and\n  Priority = 5").expect_err("a syntax error");
    assert_eq!(
        error.position(),
        Some(Position {
            line: 2,
            column: 12,
            offset: 33
        })
    );
    assert!(matches!(error, FilterError::Syntax(ref errors) if errors.len() == 1));
}

#[test]
fn several_rule_errors_are_reported_one_per_line() {
    check(&[(
        r#"foo["abc"#,
        "1:9 (8): rule \"string\": Unterminated string literal\n1:5 (4): rule \"index\": Invalid index",
    )]);
}

#[test]
fn nesting_is_limited() {
    let deep = format!("{}a == 1{}", "(".repeat(64), ")".repeat(64));
    assert!(Filter::parse(&deep).is_ok());
    let too_deep = format!("{}a == 1{}", "(".repeat(65), ")".repeat(65));
    let error = Filter::parse(&too_deep).expect_err("too deep");
    assert_eq!(
        error.to_string(),
        r#"1:66 (65): rule "grouping": expression nested more than 64 levels deep"#
    );
    // Long chains and runs of `not` are not nesting.
    let chain = vec!["a == 1"; 10_000].join(" and ");
    assert!(Filter::parse(&chain).is_ok());
    let nots = format!("{}a == 1", "not ".repeat(10_001));
    assert_eq!(
        Filter::parse(&nots).expect("parses").to_string(),
        "not a == 1"
    );
}
