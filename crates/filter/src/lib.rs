//! drover-filter: Nomad's `filter=` expressions (HashiCorp's go-bexpr language, v0.1.16) over
//! JSON records.
//!
//! It owns the language: parsing an expression once ([`Filter::parse`]), evaluating it against
//! any number of `serde_json::Value` records ([`Filter::matches`], [`Filter::evaluate`]) or
//! serializable ones ([`Filter::evaluate_record`], which builds only the fields it reads),
//! printing it back in a canonical form (`Display`), and go-bexpr's error texts
//! ([`FilterError`]). It must not know what a job, an allocation or an endpoint is: callers
//! serialize their records to JSON, and field names are whatever keys that JSON has (for Nomad's
//! records, the Go field names: `Status`, `Meta.team`, `TaskGroups`).
//!
//! ```
//! use drover_filter::Filter;
//! use serde_json::json;
//!
//! let job = json!({"Status": "running", "Datacenters": ["dc1"], "Meta": {"team": "payments"}});
//! for expression in [
//!     r#"Status == "running" and "dc1" in Datacenters"#,
//!     r#"Meta.team contains "pay" and not (Status == "dead" or "dc2" in Datacenters)"#,
//!     r#"Meta.owner != "ops" and (any Datacenters as dc { dc matches "^dc[0-9]$" })"#,
//! ] {
//!     assert!(Filter::parse(expression)?.matches(&job));
//! }
//! let typo = Filter::parse("Status = running").unwrap_err();
//! assert_eq!(
//!     typo.to_string(),
//!     r#"1:8 (7): no match found, expected: "!=", "==", "contains", "in", "is", "matches", "not" or [ \t\r\n]"#
//! );
//! # Ok::<(), drover_filter::FilterError>(())
//! ```
//!
//! # The language
//!
//! - Selectors: `a.b`, `a["key with spaces"]` (or `` a[`raw`] ``), `a.0` for a list element, and
//!   a quoted JSON pointer `"/a/b~1c/0"`.
//! - Tests: `==`, `!=`; `value in selector`, `not in`, and the same reversed as
//!   `selector contains value`, `not contains`; `matches`, `not matches` (a regular expression in
//!   the `regex` crate's syntax, which RE2's mostly is); `is empty`, `is not empty`, `is nil`,
//!   `is not nil`.
//! - Values: numbers (`50`, `-0.5`), `"strings"` with Go escapes, `` `raw strings` ``, or bare
//!   words (`Status == running`). Each is kept as go-bexpr keeps it, as one raw text, so
//!   `Priority == 50` and `Priority == "50"` are the same expression. As in go-bexpr, a
//!   double-quoted string ends at the first `"` (write `\x22` inside one), and a quoted value that
//!   reads as a JSON pointer is one: `Meta.path == "/srv"` compares with `srv`.
//! - `and`, `or`, `not` (`not` binds tightest, then `and`), parentheses, and collections
//!   `any Selector as v { ... }`, `all Selector as k, v { ... }` (also `as k, _` and `as _, v`),
//!   which go-bexpr allows bare only as a whole expression or as the last operand of `or`.
//! - Keywords are lowercase; comparisons are case-sensitive.
//!
//! # Evaluation over JSON
//!
//! go-bexpr reads the literal as the Go kind of the selected field; here the JSON kind of the
//! selected value decides:
//!
//! - A JSON integer compares with the literal read by Go's `ParseInt` with base 0 (so
//!   `Priority == "0x32"` and `Priority == "5_0"` hold), a larger one by `ParseUint`, a float by
//!   `ParseFloat`, a boolean by `ParseBool` (`true`, `T`, `1`, ...), a string as it is. A literal
//!   that cannot be read as the value's kind is an evaluation error.
//! - `in` is key membership on an object, element equality on a list (elements the literal
//!   cannot be read as are skipped) and substring on a string.
//! - `is empty` is length zero for a string, list or object. `null` is empty and nil, contains
//!   nothing, and has no keys.
//! - A key missing from an object, when it is the last part of a selector of two or more parts,
//!   gives each test a fixed result: `==`, `in`, `matches`, `is not empty`, `is not nil` are
//!   false, and their negations true. A missing top-level field, or a missing key in the middle
//!   of a path, is an evaluation error.
//! - `==` on a list, object or `null`, `in` on a number or boolean, `matches` on anything but a
//!   string are evaluation errors.
//!
//! # Errors
//!
//! [`FilterError`]'s text is go-bexpr's, position first: `1:10 (9): rule "grouping": Unmatched
//! parentheses`, `1:14 (13): no match found, expected: "(", "-", ...`, `error finding value in
//! datum: /Missing at part 0: ...`. Nomad sends them in a 400 as
//! `failed to create result paginator: failed to read filter expression: <syntax error>` or
//! `failed to read result page: <evaluation error>`.
//!
//! Where drover knowingly differs from go-bexpr (a regular expression is checked when parsing
//! rather than when first used, nesting is limited to 64 levels, every nested object counts as a
//! map) is recorded in `docs/compat.md`.

mod ast;
mod error;
mod eval;
#[doc(hidden)]
pub mod fuzzing;
mod parse;
mod project;
mod strconv;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

pub use error::{FilterError, Position, SyntaxError};

/// A parsed filter expression. Parse it once, then evaluate it against many records.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    expr: ast::Expr,
    /// The top-level fields the expression reads (see [`Filter::evaluate_record`]).
    fields: BTreeSet<String>,
}

impl Filter {
    /// Parses an expression. An empty expression is a syntax error, as in go-bexpr; an
    /// endpoint treats an empty `filter=` as no filter before calling this.
    pub fn parse(expression: &str) -> Result<Filter, FilterError> {
        let expr = parse::parse(expression).map_err(FilterError::Syntax)?;
        let fields = project::top_level_fields(&expr);
        Ok(Filter { expr, fields })
    }

    /// Whether the record passes the filter. A record the filter cannot be applied to (see
    /// [`Filter::evaluate`]) does not pass.
    pub fn matches(&self, record: &Value) -> bool {
        self.evaluate(record).unwrap_or(false)
    }

    /// Whether the record passes the filter, or why the filter cannot be applied to it (for
    /// example `Missing == 1` when the record has no top-level `Missing` field). Nomad answers
    /// a list request with a 400 as soon as one record fails this way.
    pub fn evaluate(&self, record: &Value) -> Result<bool, FilterError> {
        eval::evaluate(&self.expr, record).map_err(FilterError::Evaluate)
    }

    /// [`Filter::evaluate`] over `record`'s JSON, building only the top-level fields the
    /// expression reads: the same answer as evaluating `serde_json::to_value(record)` (`null`
    /// if it cannot be serialized) at a fraction of the cost for large records.
    pub fn evaluate_record<T: Serialize + ?Sized>(&self, record: &T) -> Result<bool, FilterError> {
        self.evaluate(&project::project(record, &self.fields))
    }
}

/// The canonical text of the expression: single spaces, values quoted (numbers bare),
/// `contains` written as `in`, and parentheses only where needed. Parsing it gives back an
/// equal `Filter`.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(expression: &str) -> Result<Filter, FilterError> {
        Filter::parse(expression)
    }
}
