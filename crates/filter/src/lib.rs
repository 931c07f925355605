//! drover-filter: Nomad's `filter=` expressions (HashiCorp's go-bexpr language, v0.1.16) over
//! JSON records.
//!
//! It owns the language: parsing an expression once ([`Filter::parse`]), evaluating it against
//! any number of `serde_json::Value` records ([`Filter::matches`], [`Filter::evaluate`]),
//! printing it back in a canonical form (`Display`), and go-bexpr's error texts
//! ([`FilterError`]). It must not know what a job, an allocation or an endpoint is: callers
//! serialize their records to JSON, and field names are whatever keys that JSON has (for Nomad's
//! records, the Go field names: `Status`, `Meta.team`, `TaskGroups`).
//!
//! ```text
//! Status == "running" and "dc1" in Datacenters
//! Meta.team contains "pay" or not (Priority == 50)
//! Name matches "^web-[0-9]+$" and Periodic is not nil
//! "/Meta/owner" != "ops" and any TaskGroups as tg { tg.Count == 3 }
//! ```
//!
//! The language: selectors (`a.b`, `a["key with spaces"]`, `a.0`, `"/json/pointer"`); `==`,
//! `!=`, `in`, `not in`, `contains`, `not contains`, `matches`, `not matches` (Rust's `regex`
//! syntax, which RE2's mostly is), `is empty`, `is not empty`, `is nil`, `is not nil`; values as
//! numbers, `"strings"` with Go escapes, `` `raw strings` `` or bare words; `and`, `or`, `not`
//! (`not` binds tightest, then `and`), parentheses; `any`/`all Selector as k, v { ... }`.
//! Keywords are lowercase and comparisons are case-sensitive. How each operator reads each JSON
//! kind, and what a missing field does, is described in the `eval` module; the grammar in
//! `parse`.
//!
//! Where drover knowingly differs from go-bexpr (a regular expression is checked when parsing
//! rather than when first used, nesting is limited, every nested object is a map) is recorded
//! in `docs/compat.md`.

mod ast;
mod error;
mod eval;
#[doc(hidden)]
pub mod fuzzing;
mod parse;
mod strconv;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

pub use error::{FilterError, Position, SyntaxError};

/// A parsed filter expression. Parse it once, then evaluate it against many records.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    expr: ast::Expr,
}

impl Filter {
    /// Parses an expression. An empty expression is a syntax error, as in go-bexpr; an
    /// endpoint treats an empty `filter=` as no filter before calling this.
    pub fn parse(expression: &str) -> Result<Filter, FilterError> {
        parse::parse(expression)
            .map(|expr| Filter { expr })
            .map_err(FilterError::Syntax)
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
