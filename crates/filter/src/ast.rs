//! The parsed expression and its canonical text.
//!
//! The tree has go-bexpr's shape: a chain `a and b and c` (go-bexpr's right-nested binary nodes)
//! is one `And` with three operands whose last operand is never itself an `And`; the same holds
//! for `Or`; `not not x` is `x`. So two expressions are equal here exactly when go-bexpr builds
//! equal trees for them. Literals keep go-bexpr's single raw text: `Count == 3`,
//! `Count == "3"` and ``Count == `3` `` are the same expression.

use std::fmt;

use regex::Regex;

use crate::parse;
use crate::strconv::{self, NumError};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// At least two operands; the last is not an `And`.
    And(Vec<Expr>),
    /// At least two operands; the last is not an `Or`.
    Or(Vec<Expr>),
    /// Never wraps another `Not`.
    Not(Box<Expr>),
    Match(Box<Match>),
    Collection(Box<Collection>),
}

impl Expr {
    /// Joins a chain `first op ... op last` the way go-bexpr nests it: a parenthesized chain of
    /// the same operator in last place is the same tree as a longer chain.
    pub(crate) fn chain(mut items: Vec<Expr>, last: Expr, and: bool) -> Expr {
        match last {
            Expr::And(tail) if and => items.extend(tail),
            Expr::Or(tail) if !and => items.extend(tail),
            last if items.is_empty() => return last,
            last => items.push(last),
        }
        if and {
            Expr::And(items)
        } else {
            Expr::Or(items)
        }
    }

    pub(crate) fn negate(self) -> Expr {
        match self {
            Expr::Not(inner) => *inner,
            other => Expr::Not(Box::new(other)),
        }
    }
}

/// `selector <test> value`, or its negation (`!=`, `not in`, `is not empty`, ...).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Match {
    pub selector: Selector,
    pub test: Test,
    pub negated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    Equal(Literal),
    /// `value in selector`, also written `selector contains value`.
    In(Literal),
    IsEmpty,
    IsNil,
    Matches(Pattern),
}

impl Test {
    /// The result when the selected key is missing from its map (go-bexpr's
    /// `NotPresentDisposition`), before negation.
    pub(crate) fn when_missing(&self) -> bool {
        matches!(self, Test::IsEmpty | Test::IsNil)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelectorKind {
    /// `a.b["c"].0`
    Dotted,
    /// `"/a/b/0"`
    Pointer,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Selector {
    pub kind: SelectorKind,
    /// Never empty.
    pub parts: Vec<Part>,
}

impl Selector {
    pub(crate) fn dotted(parts: Vec<String>) -> Selector {
        Selector {
            kind: SelectorKind::Dotted,
            parts: parts.into_iter().map(Part::new).collect(),
        }
    }

    /// From the text between the quotes of `"/a/b"`: RFC 6901 parts with `~1` and `~0` undone.
    /// `""` selects the key "" of the record, as in go-bexpr.
    pub(crate) fn pointer(text: &str) -> Selector {
        let parts = text
            .strip_prefix('/')
            .unwrap_or(text)
            .split('/')
            .map(|p| Part::new(p.replace("~1", "/").replace("~0", "~")))
            .collect();
        Selector {
            kind: SelectorKind::Pointer,
            parts,
        }
    }

    /// go-bexpr's `Selector.String()`: the parts joined by "." or "/". Unquoted words used as
    /// values (`Status == running`) become this text.
    pub(crate) fn text(&self) -> String {
        let separator = match self.kind {
            SelectorKind::Dotted => ".",
            SelectorKind::Pointer => "/",
        };
        let names: Vec<&str> = self.parts.iter().map(|p| p.name.as_str()).collect();
        names.join(separator)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    pub name: String,
    /// The name read as a list index, as go-bexpr's pointer library reads it (base prefixes
    /// allowed, "" is 0); none when it is not a number.
    pub index: Option<i64>,
}

impl Part {
    fn new(name: String) -> Part {
        let index = if name.is_empty() {
            Some(0)
        } else {
            strconv::parse_int(&name).ok()
        };
        Part { name, index }
    }
}

/// A literal's raw text, read once as each kind a field can have.
#[derive(Debug, Clone)]
pub(crate) struct Literal {
    pub raw: String,
    pub int: Result<i64, NumError>,
    pub uint: Result<u64, NumError>,
    pub float: Result<f64, NumError>,
    pub boolean: Result<bool, NumError>,
}

impl Literal {
    pub(crate) fn new(raw: String) -> Literal {
        Literal {
            int: strconv::parse_int(&raw),
            uint: strconv::parse_uint(&raw),
            float: strconv::parse_float(&raw),
            boolean: strconv::parse_bool(&raw),
            raw,
        }
    }
}

impl PartialEq for Literal {
    fn eq(&self, other: &Literal) -> bool {
        self.raw == other.raw
    }
}

/// The regular expression of `matches`, compiled once at parse time.
#[derive(Debug, Clone)]
pub(crate) struct Pattern(pub Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quantifier {
    Any,
    All,
}

/// How `as ...` names the key or index and the value of each element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Binding {
    /// `as v`: the element of a list, the key of a map.
    Default(String),
    /// `as k, _`
    Index(String),
    /// `as _, v`
    Value(String),
    /// `as k, v`
    IndexAndValue(String, String),
}

/// `any Selector as binding { inner }` or `all ...`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Collection {
    pub quantifier: Quantifier,
    pub selector: Selector,
    pub binding: Binding,
    pub inner: Expr,
}

// ---- canonical text ----
//
// Every operand is printed so that parsing it gives back the same tree: values in double quotes
// (or as plain numbers), parentheses wherever the grammar would otherwise read a different tree.

/// Where an expression is printed, which decides whether it needs parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The input, a parenthesized group or a collection body.
    Whole,
    OrOperand,
    /// The grammar allows a bare collection only here and as a whole expression.
    LastOrOperand,
    AndOperand,
    NotOperand,
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self, Place::Whole)
    }
}

fn write_expr(f: &mut fmt::Formatter<'_>, expr: &Expr, place: Place) -> fmt::Result {
    let bare = match expr {
        Expr::Or(_) => place == Place::Whole,
        Expr::And(_) => matches!(
            place,
            Place::Whole | Place::OrOperand | Place::LastOrOperand
        ),
        Expr::Collection(_) => matches!(place, Place::Whole | Place::LastOrOperand),
        Expr::Not(_) | Expr::Match(_) => true,
    };
    if !bare {
        f.write_str("(")?;
        write_expr(f, expr, Place::Whole)?;
        return f.write_str(")");
    }
    match expr {
        Expr::Or(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(" or ")?;
                }
                let last = i + 1 == items.len();
                let place = if last {
                    Place::LastOrOperand
                } else {
                    Place::OrOperand
                };
                write_expr(f, item, place)?;
            }
            Ok(())
        }
        Expr::And(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(" and ")?;
                }
                write_expr(f, item, Place::AndOperand)?;
            }
            Ok(())
        }
        Expr::Not(inner) => {
            f.write_str("not ")?;
            write_expr(f, inner, Place::NotOperand)
        }
        Expr::Match(m) => write_match(f, m),
        Expr::Collection(c) => {
            let quantifier = match c.quantifier {
                Quantifier::Any => "any",
                Quantifier::All => "all",
            };
            write!(f, "{quantifier} {} as ", c.selector)?;
            match &c.binding {
                Binding::Default(name) => f.write_str(name)?,
                Binding::Index(name) => write!(f, "{name}, _")?,
                Binding::Value(name) => write!(f, "_, {name}")?,
                Binding::IndexAndValue(index, value) => write!(f, "{index}, {value}")?,
            }
            f.write_str(" { ")?;
            write_expr(f, &c.inner, Place::Whole)?;
            f.write_str(" }")
        }
    }
}

fn write_match(f: &mut fmt::Formatter<'_>, m: &Match) -> fmt::Result {
    let not = if m.negated { "not " } else { "" };
    let selector = &m.selector;
    match &m.test {
        Test::Equal(value) => {
            let op = if m.negated { "!=" } else { "==" };
            write!(f, "{selector} {op} {}", ValueText(&value.raw))
        }
        Test::In(value) => write!(f, "{} {not}in {selector}", ValueText(&value.raw)),
        Test::IsEmpty => write!(f, "{selector} is {not}empty"),
        Test::IsNil => write!(f, "{selector} is {not}nil"),
        Test::Matches(pattern) => {
            write!(
                f,
                "{selector} {not}matches {}",
                ValueText(pattern.0.as_str())
            )
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SelectorKind::Pointer => {
                f.write_str("\"")?;
                if self.parts.len() > 1 || !self.parts[0].name.is_empty() {
                    for part in &self.parts {
                        let escaped = part.name.replace('~', "~0").replace('/', "~1");
                        write!(f, "/{escaped}")?;
                    }
                }
                f.write_str("\"")
            }
            SelectorKind::Dotted => {
                for (i, part) in self.parts.iter().enumerate() {
                    let name = part.name.as_str();
                    if i == 0 {
                        // The grammar only lets an identifier start a dotted selector.
                        f.write_str(name)?;
                    } else if is_identifier(name) || is_digits(name) {
                        write!(f, ".{name}")?;
                    } else {
                        write!(f, "[{}]", StringText(name))?;
                    }
                }
                Ok(())
            }
        }
    }
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/')
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A value as it reads back to the same raw text: a plain number when the grammar's number rule
/// would read it so, otherwise a quoted string.
struct ValueText<'a>(&'a str);

impl fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_number_literal(self.0) {
            f.write_str(self.0)
        } else {
            StringText(self.0).fmt(f)
        }
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`
fn is_number_literal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (s, None),
    };
    let int_ok = int == "0" || (is_digits(int) && !int.starts_with('0'));
    int_ok && frac.is_none_or(is_digits)
}

/// A double-quoted string that unquotes to the text. A double quote is written `\x22` because
/// go-bexpr's grammar ends a string at the first `"` whatever precedes it, and the leading `/` of
/// a text that would read as a JSON-pointer selector is written `\x2f`.
struct StringText<'a>(&'a str);

impl fmt::Display for StringText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.0;
        f.write_str("\"")?;
        if parse::reads_as_pointer(text) {
            f.write_str("\\x2f")?;
            text = &text[1..];
        }
        for c in text.chars() {
            match c {
                '"' => f.write_str("\\x22")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}
