//! Evaluation of a parsed expression against one JSON record: go-bexpr's `evaluate.go` read
//! over JSON kinds instead of Go kinds (the rules are listed in the crate docs). go-bexpr tells
//! a Go map, where a missing key is "not present", from a struct, where a missing field is an
//! error; over JSON the record itself plays the struct and every nested object a map.
//!
//! Nothing here allocates unless an error is being reported or a collection binds names.

use serde_json::{Number, Value};

use crate::ast::{Binding, Collection, Expr, Literal, Match, Part, Quantifier, Selector, Test};
use crate::strconv::{self, NumError};

pub(crate) fn evaluate(expr: &Expr, record: &Value) -> Result<bool, String> {
    Scope {
        root: record,
        locals: Vec::new(),
    }
    .eval(expr)
}

/// What a selector resolves to: a JSON value, or a key or index bound by a collection.
#[derive(Clone, Copy)]
enum Operand<'v> {
    Json(&'v Value),
    Key(&'v str),
    Index(usize),
}

impl<'v> Operand<'v> {
    fn text(self) -> Option<&'v str> {
        match self {
            Operand::Key(text) => Some(text),
            Operand::Json(Value::String(text)) => Some(text),
            _ => None,
        }
    }
}

/// Where a collection element sits in its collection.
#[derive(Clone, Copy)]
enum Slot<'v> {
    Key(&'v str),
    Index(usize),
}

/// A name bound by `any`/`all`.
struct Local<'e, 'v> {
    name: &'e str,
    bound: Bound<'e, 'v>,
}

enum Bound<'e, 'v> {
    /// A key or an index: selecting into it is an error.
    Plain(Operand<'v>),
    /// An element; selectors starting with the name continue inside it. The collection's
    /// selector, the local it started from (if any) and the slot spell the element's full path
    /// for error messages.
    Element {
        value: &'v Value,
        collection: &'e Selector,
        via: Option<usize>,
        slot: Slot<'v>,
    },
}

struct Scope<'e, 'v> {
    root: &'v Value,
    /// Innermost last.
    locals: Vec<Local<'e, 'v>>,
}

impl<'e, 'v> Scope<'e, 'v> {
    fn eval(&mut self, expr: &'e Expr) -> Result<bool, String> {
        match expr {
            Expr::And(items) => {
                for item in items {
                    if !self.eval(item)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(items) => {
                for item in items {
                    if self.eval(item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Not(inner) => Ok(!self.eval(inner)?),
            Expr::Match(m) => self.eval_match(m),
            Expr::Collection(c) => self.eval_collection(c),
        }
    }

    fn eval_match(&self, m: &'e Match) -> Result<bool, String> {
        let Some(operand) = self.lookup(&m.selector)?.0 else {
            return Ok(m.test.when_missing() != m.negated);
        };
        let positive = match &m.test {
            Test::Equal(literal) => equal(operand, literal),
            Test::In(literal) => contains(operand, literal, &m.selector),
            Test::IsEmpty => is_empty(operand, &m.selector),
            Test::IsNil => is_nil(operand, &m.selector),
            Test::Matches(pattern) => match operand.text() {
                Some(text) => Ok(pattern.0.is_match(text)),
                None => Err(format!(
                    "value of type {} is not convertible to []byte",
                    type_name(operand)
                )),
            },
        }?;
        Ok(positive != m.negated)
    }

    fn eval_collection(&mut self, c: &'e Collection) -> Result<bool, String> {
        let all = c.quantifier == Quantifier::All;
        let (found, via) = self.lookup(&c.selector)?;
        match found {
            Some(Operand::Json(Value::Array(items))) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(decided) = self.visit(c, via, Slot::Index(i), item)? {
                        return Ok(decided);
                    }
                }
            }
            Some(Operand::Json(Value::Object(map))) => {
                for (key, item) in map {
                    if let Some(decided) = self.visit(c, via, Slot::Key(key), item)? {
                        return Ok(decided);
                    }
                }
            }
            // A missing key or a null holds no elements.
            None | Some(Operand::Json(Value::Null)) => {}
            Some(_) => return Err(format!("{} is not a list or a map", c.selector.text())),
        }
        Ok(all)
    }

    /// Evaluates a collection's body for one element; `Some` once the answer is known (`any`
    /// found a match, `all` found a miss).
    fn visit(
        &mut self,
        c: &'e Collection,
        via: Option<usize>,
        slot: Slot<'v>,
        element: &'v Value,
    ) -> Result<Option<bool>, String> {
        // A map's default name is its key; a list's is its element.
        let (key_name, value_name) = match (&c.binding, slot) {
            (Binding::Default(name), Slot::Key(_)) | (Binding::Index(name), _) => {
                (Some(name), None)
            }
            (Binding::Default(name), Slot::Index(_)) | (Binding::Value(name), _) => {
                (None, Some(name))
            }
            (Binding::IndexAndValue(index, value), _) if index == value => {
                return Err(format!(
                    "{} cannot be used as a placeholder for both the index and the value",
                    strconv::quote(index)
                ));
            }
            (Binding::IndexAndValue(index, value), _) => (Some(index), Some(value)),
        };
        let depth = self.locals.len();
        if let Some(name) = key_name {
            let key = match slot {
                Slot::Key(key) => Operand::Key(key),
                Slot::Index(i) => Operand::Index(i),
            };
            self.locals.push(Local {
                name,
                bound: Bound::Plain(key),
            });
        }
        if let Some(name) = value_name {
            let bound = Bound::Element {
                value: element,
                collection: &c.selector,
                via,
                slot,
            };
            self.locals.push(Local { name, bound });
        }
        let result = self.eval(&c.inner);
        self.locals.truncate(depth);
        let all = c.quantifier == Quantifier::All;
        Ok((result? != all).then_some(!all))
    }

    /// Resolves a selector. `None` is a key missing from its map (see the module docs); the
    /// second value is the local the selector started from.
    fn lookup(
        &self,
        selector: &'e Selector,
    ) -> Result<(Option<Operand<'v>>, Option<usize>), String> {
        let parts = selector.parts.as_slice();
        let first = parts.first().map(|p| p.name.as_str());
        let local = self.locals.iter().rposition(|l| Some(l.name) == first);
        let Some(index) = local else {
            return Ok((self.walk(self.root, parts, None)?, None));
        };
        match &self.locals[index].bound {
            Bound::Plain(operand) if parts.len() == 1 => Ok((Some(*operand), None)),
            Bound::Plain(operand) => Err(format!(
                "{} references a {} so {} is invalid",
                pointer_text(&parts[..1]),
                type_name(*operand),
                pointer_text(parts)
            )),
            Bound::Element { value, .. } => {
                Ok((self.walk(value, &parts[1..], Some(index))?, Some(index)))
            }
        }
    }

    /// Follows `parts` from `start`, which is the record itself or the element bound to the
    /// local `base`.
    fn walk(
        &self,
        start: &'v Value,
        parts: &'e [Part],
        base: Option<usize>,
    ) -> Result<Option<Operand<'v>>, String> {
        let mut current = start;
        for (i, part) in parts.iter().enumerate() {
            let next = match current {
                Value::Object(map) => map.get(part.name.as_str()),
                Value::Null => None,
                Value::Array(items) => {
                    let Some(index) = part.index else {
                        let quoted = strconv::quote(&part.name);
                        let reason = format!("couldn't convert value {quoted} to type int");
                        return Err(self.not_found(base, parts, i, &reason));
                    };
                    match usize::try_from(index).ok().and_then(|i| items.get(i)) {
                        Some(item) => Some(item),
                        None => {
                            let len = items.len();
                            let reason = format!("index {index} is out of range (length = {len})");
                            return Err(self.not_found(base, parts, i, &reason));
                        }
                    }
                }
                other => {
                    let (path, at) = self.full_path(base, parts, i);
                    let kind = kind_name(Operand::Json(other));
                    return Err(format!(
                        "error finding value in datum: {path}: at part {at}, invalid value kind: {kind}"
                    ));
                }
            };
            match next {
                Some(value) => current = value,
                // A missing last key of a path of two or more parts (an element's path always
                // has): go-bexpr's "not present" case.
                None if i + 1 == parts.len() && (base.is_some() || parts.len() > 1) => {
                    return Ok(None);
                }
                None => {
                    let quoted = strconv::quote(&part.name);
                    // The record itself is a struct in Nomad, whose error go-bexpr words so.
                    let reason = if base.is_none() && i == 0 {
                        format!("couldn't find key: struct field with name {quoted}")
                    } else {
                        format!("couldn't find key {quoted}")
                    };
                    return Err(self.not_found(base, parts, i, &reason));
                }
            }
        }
        Ok(Some(Operand::Json(current)))
    }

    fn not_found(&self, base: Option<usize>, parts: &[Part], i: usize, reason: &str) -> String {
        let (path, at) = self.full_path(base, parts, i);
        format!("error finding value in datum: {path} at part {at}: {reason}")
    }

    /// The JSON pointer of `parts` from the record, and the position of `parts[i]` in it.
    fn full_path(&self, base: Option<usize>, parts: &[Part], i: usize) -> (String, usize) {
        let mut names = Vec::new();
        if let Some(local) = base {
            self.element_path(local, &mut names);
        }
        let at = names.len() + i;
        names.extend(parts.iter().map(|p| p.name.clone()));
        (pointer_of(&names), at)
    }

    fn element_path(&self, local: usize, names: &mut Vec<String>) {
        let Bound::Element {
            collection,
            via,
            slot,
            ..
        } = &self.locals[local].bound
        else {
            return;
        };
        let parts = match via {
            Some(outer) => {
                self.element_path(*outer, names);
                &collection.parts[1..]
            }
            None => &collection.parts[..],
        };
        names.extend(parts.iter().map(|p| p.name.clone()));
        names.push(match slot {
            Slot::Key(key) => (*key).to_owned(),
            Slot::Index(i) => i.to_string(),
        });
    }
}

fn pointer_text(parts: &[Part]) -> String {
    let names: Vec<String> = parts.iter().map(|p| p.name.clone()).collect();
    pointer_of(&names)
}

/// RFC 6901 text, as go-bexpr prints paths in errors.
fn pointer_of(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("/{}", n.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn coerce_error(func: &str, raw: &str, error: NumError) -> String {
    format!(
        "error getting match value in expression: strconv.{func}: parsing {}: {}",
        strconv::quote(raw),
        error.text()
    )
}

/// A JSON number against a literal read as the number's kind (Go's int, uint64 or float64).
fn number_equal(n: &Number, literal: &Literal) -> Result<bool, (&'static str, NumError)> {
    if let Some(i) = n.as_i64() {
        literal.int.map(|v| v == i).map_err(|e| ("ParseInt", e))
    } else if let Some(u) = n.as_u64() {
        literal.uint.map(|v| v == u).map_err(|e| ("ParseUint", e))
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        literal.float.map(|v| v == f).map_err(|e| ("ParseFloat", e))
    }
}

fn equal(operand: Operand<'_>, literal: &Literal) -> Result<bool, String> {
    let raw = literal.raw.as_str();
    if let Some(text) = operand.text() {
        return Ok(text == raw);
    }
    match operand {
        Operand::Index(i) => match literal.int {
            Ok(v) => Ok(i64::try_from(i).is_ok_and(|i| i == v)),
            Err(e) => Err(coerce_error("ParseInt", raw, e)),
        },
        Operand::Json(Value::Bool(b)) => match literal.boolean {
            Ok(v) => Ok(v == *b),
            Err(e) => Err(coerce_error("ParseBool", raw, e)),
        },
        Operand::Json(Value::Number(n)) => {
            number_equal(n, literal).map_err(|(func, e)| coerce_error(func, raw, e))
        }
        _ => Err("unable to find suitable primitive comparison function for matching".to_owned()),
    }
}

fn contains(operand: Operand<'_>, literal: &Literal, selector: &Selector) -> Result<bool, String> {
    let raw = literal.raw.as_str();
    if let Some(text) = operand.text() {
        return Ok(text.contains(raw));
    }
    match operand {
        Operand::Json(Value::Object(map)) => Ok(map.contains_key(raw)),
        Operand::Json(Value::Null) => Ok(false),
        Operand::Json(Value::Array(items)) => {
            for item in items {
                // go-bexpr reads the literal per element and skips elements it cannot be read as.
                let found = match item {
                    Value::String(text) => text == raw,
                    Value::Bool(b) => literal.boolean.is_ok_and(|v| v == *b),
                    Value::Number(n) => match number_equal(n, literal) {
                        Ok(found) => found,
                        Err((_, NumError::Syntax)) => false,
                        Err((_, NumError::Range)) => {
                            return Err("error getting interface slice match value in expression"
                                .to_owned());
                        }
                    },
                    Value::Null => false,
                    Value::Array(_) | Value::Object(_) => {
                        return Err(format!(
                            "unable to find suitable primitive comparison function for \"in\" comparison in interface slice: {}",
                            kind_name(Operand::Json(item))
                        ));
                    }
                };
                if found {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => Err(format!(
            "cannot perform in/contains operations on type {} for selector: {}",
            kind_name(other),
            strconv::quote(&selector.text())
        )),
    }
}

fn is_empty(operand: Operand<'_>, selector: &Selector) -> Result<bool, String> {
    if let Some(text) = operand.text() {
        return Ok(text.is_empty());
    }
    match operand {
        Operand::Json(Value::Array(items)) => Ok(items.is_empty()),
        Operand::Json(Value::Object(map)) => Ok(map.is_empty()),
        Operand::Json(Value::Null) => Ok(true),
        other => Err(format!(
            "cannot perform is-empty operations on type {} for selector: {}",
            kind_name(other),
            strconv::quote(&selector.text())
        )),
    }
}

fn is_nil(operand: Operand<'_>, selector: &Selector) -> Result<bool, String> {
    match operand {
        Operand::Json(Value::Null) => Ok(true),
        Operand::Json(Value::Array(_) | Value::Object(_)) => Ok(false),
        other => Err(format!(
            "cannot perform is-nil operations on type {} for selector: {}",
            kind_name(other),
            strconv::quote(&selector.text())
        )),
    }
}

/// The Go kind go-bexpr would name for this value.
fn kind_name(operand: Operand<'_>) -> &'static str {
    match operand {
        Operand::Key(_) | Operand::Json(Value::String(_)) => "string",
        Operand::Index(_) => "int",
        Operand::Json(Value::Bool(_)) => "bool",
        Operand::Json(Value::Number(n)) if n.is_i64() => "int",
        Operand::Json(Value::Number(n)) if n.is_u64() => "uint64",
        Operand::Json(Value::Number(_)) => "float64",
        Operand::Json(Value::Array(_)) => "slice",
        Operand::Json(Value::Object(_)) => "map",
        Operand::Json(Value::Null) => "invalid",
    }
}

/// The Go type go-bexpr would name for this value.
fn type_name(operand: Operand<'_>) -> &'static str {
    match operand {
        Operand::Json(Value::Array(_)) => "[]interface {}",
        Operand::Json(Value::Object(_)) => "map[string]interface {}",
        Operand::Json(Value::Null) => "<nil>",
        other => kind_name(other),
    }
}
