//! Decodes HCL bodies into Nomad API JSON, guided by [`crate::schema`]: attributes become typed
//! fields, blocks become objects, lists of objects or maps keyed by label, `dynamic` blocks are
//! expanded, and free-form blocks (`config`) keep their nesting the way Nomad's jobspec2 does.
//!
//! Like Nomad, it is strict: an attribute or block the schema doesn't name is an error.

use crate::duration;
use crate::error::{DResult, Diag};
use crate::eval::{Evaluator, Scope, iterate};
use crate::schema::{Field, Kind, Schema, Width};
use crate::value::{self, Map, Value};
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use std::ops::Range;

/// One attribute or block of a body once `dynamic` blocks are expanded, with the iterator
/// bindings its expressions see.
enum Item<'b> {
    Attr(&'b Attribute, Scope),
    Block(BlockItem<'b>),
}

pub(crate) struct BlockItem<'b> {
    pub ident: &'b str,
    pub labels: Vec<String>,
    pub body: &'b Body,
    pub scope: Scope,
    /// The block's header (type and labels), where block-level errors point.
    pub span: Option<Range<usize>>,
}

impl<'b> BlockItem<'b> {
    pub fn new(block: &'b Block, scope: Scope) -> BlockItem<'b> {
        BlockItem {
            ident: block.ident.as_str(),
            labels: block.labels.iter().map(|l| l.as_str().to_owned()).collect(),
            body: &block.body,
            scope,
            span: header_span(block),
        }
    }
}

/// The span of a block's type and labels.
pub(crate) fn header_span(block: &Block) -> Option<Range<usize>> {
    let start = block.ident.span()?.start;
    let end = block
        .labels
        .last()
        .and_then(|label| label.span())
        .or_else(|| block.ident.span())?
        .end;
    Some(start..end)
}

pub(crate) struct Decoder<'a> {
    pub eval: Evaluator<'a>,
}

impl Decoder<'_> {
    /// Decodes a block with a schema into a JSON object, labels included.
    pub fn block(&self, schema: &Schema, item: &BlockItem<'_>) -> DResult<Map> {
        let label_fields: Vec<&Field> = schema
            .fields
            .iter()
            .filter(|f| matches!(f.kind, Kind::Label))
            .collect();
        check_labels(item, label_fields.len())?;
        let mut out = Map::new();
        for (field, label) in label_fields.iter().zip(&item.labels) {
            out.insert(field.json.to_owned(), Value::String(label.clone()));
        }
        let mut items = Vec::new();
        self.expand(item.body, &item.scope, &mut items)?;
        let mut assigned: Vec<&str> = Vec::new();
        for entry in items {
            match entry {
                Item::Attr(attr, scope) => {
                    let key = attr.key.as_str();
                    if assigned.contains(&key) {
                        return Err(Diag::new(
                            attr.key.span(),
                            "Attribute redefined",
                            format!(
                                "The argument {key:?} was already set. Each argument may be set only once."
                            ),
                        ));
                    }
                    assigned.push(key);
                    self.attribute(schema, attr, &scope, &mut out)?;
                }
                Item::Block(block) => self.nested_block(schema, &block, &mut out)?,
            }
        }
        for field in schema.fields.iter().filter(|f| f.required) {
            if !out.contains_key(field.json) {
                return Err(Diag::new(
                    item.span.clone(),
                    "Missing required argument",
                    format!(
                        "The argument {:?} is required, but no definition was found.",
                        field.hcl
                    ),
                ));
            }
        }
        if let Some(post) = schema.post {
            post(&mut out).map_err(|e| e.or_span(item.span.clone()))?;
        }
        Ok(out)
    }

    /// Lists a body's attributes and blocks, replacing each `dynamic` block by the blocks it
    /// generates.
    fn expand<'b>(&self, body: &'b Body, scope: &Scope, out: &mut Vec<Item<'b>>) -> DResult<()> {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => out.push(Item::Attr(attr, scope.clone())),
                Structure::Block(block) if block.ident.as_str() == "dynamic" => {
                    self.dynamic(block, scope, out)?;
                }
                Structure::Block(block) => {
                    out.push(Item::Block(BlockItem::new(block, scope.clone())))
                }
            }
        }
        Ok(())
    }

    /// `dynamic "type" { for_each = ..., iterator = name, labels = [...], content { ... } }`.
    fn dynamic<'b>(&self, block: &'b Block, scope: &Scope, out: &mut Vec<Item<'b>>) -> DResult<()> {
        let span = header_span(block);
        let [ident] = &block.labels[..] else {
            return Err(Diag::new(
                span,
                "Invalid dynamic block",
                "A dynamic block must have exactly one label: the type of block it generates.",
            ));
        };
        let (mut for_each, mut iterator, mut labels, mut content) = (None, None, None, None);
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "for_each" => for_each = Some(&attr.value),
                    "iterator" => iterator = Some(&attr.value),
                    "labels" => labels = Some(&attr.value),
                    other => return Err(unsupported_argument(attr, other)),
                },
                Structure::Block(inner)
                    if inner.ident.as_str() == "content" && content.is_none() =>
                {
                    content = Some(&inner.body);
                }
                Structure::Block(inner) => {
                    return Err(Diag::new(
                        header_span(inner),
                        "Unsupported block type",
                        "A dynamic block may contain only one content block.",
                    ));
                }
            }
        }
        let (Some(for_each), Some(content)) = (for_each, content) else {
            return Err(Diag::new(
                span,
                "Invalid dynamic block",
                "A dynamic block requires a for_each argument and a content block.",
            ));
        };
        let iterator = match iterator {
            None => ident.as_str(),
            Some(Expression::Variable(name)) => name.as_str(),
            Some(other) => {
                return Err(Diag::new(
                    other.span(),
                    "Invalid dynamic iterator name",
                    "The iterator must be a single identifier.",
                ));
            }
        };
        let collection = self.eval.eval(for_each, scope)?;
        let entries = iterate(collection)
            .map_err(|e| Diag::new(for_each.span(), "Invalid dynamic for_each value", e))?;
        for (key, value) in entries {
            let mut element = Map::new();
            element.insert("key".to_owned(), key);
            element.insert("value".to_owned(), value);
            let inner = scope.bind(iterator, Value::Object(element));
            let labels = match labels {
                None => Vec::new(),
                Some(expr) => {
                    let values = self.eval.eval(expr, &inner)?;
                    let Value::Array(values) = values else {
                        return Err(Diag::new(
                            expr.span(),
                            "Invalid dynamic labels",
                            "The labels must be a list of strings.",
                        ));
                    };
                    values
                        .iter()
                        .map(value::to_string)
                        .collect::<Result<_, _>>()
                        .map_err(|e| Diag::new(expr.span(), "Invalid dynamic labels", e))?
                }
            };
            out.push(Item::Block(BlockItem {
                ident: ident.as_str(),
                labels,
                body: content,
                scope: inner,
                span: span.clone(),
            }));
        }
        Ok(())
    }

    fn attribute(
        &self,
        schema: &Schema,
        attr: &Attribute,
        scope: &Scope,
        out: &mut Map,
    ) -> DResult<()> {
        let key = attr.key.as_str();
        let field = schema
            .fields
            .iter()
            .find(|f| f.hcl == key && !is_block_only(&f.kind))
            .ok_or_else(|| unsupported_argument(attr, key))?;
        if out.contains_key(field.json) {
            return Err(duplicate(attr.key.span(), key));
        }
        let value = self.eval.eval(&attr.value, scope)?;
        let span = attr.value.span();
        if let Some(value) = convert(&field.kind, value).map_err(|e| unsuitable(span, &e))? {
            out.insert(field.json.to_owned(), value);
        }
        Ok(())
    }

    fn nested_block(&self, schema: &Schema, block: &BlockItem<'_>, out: &mut Map) -> DResult<()> {
        let field = schema
            .fields
            .iter()
            .find(|f| f.hcl == block.ident && is_block(&f.kind))
            .ok_or_else(|| {
                Diag::new(
                    block.span.clone(),
                    "Unsupported block type",
                    format!("Blocks of type {:?} are not expected here.", block.ident),
                )
            })?;
        let key = field.json.to_owned();
        match &field.kind {
            Kind::Block(inner) => {
                if out.contains_key(&key) {
                    return Err(duplicate(block.span.clone(), block.ident));
                }
                let decoded = self.block(inner, block)?;
                out.insert(key, Value::Object(decoded));
            }
            Kind::Blocks(inner) => {
                let decoded = self.block(inner, block)?;
                match out.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(list) => list.push(Value::Object(decoded)),
                    other => *other = Value::Array(vec![Value::Object(decoded)]),
                }
            }
            Kind::LabeledMap(inner) => {
                let decoded = self.block(inner, block)?;
                let label = block.labels.first().cloned().unwrap_or_default();
                let map = out.entry(key).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(map) = map
                    && map.insert(label.clone(), Value::Object(decoded)).is_some()
                {
                    return Err(Diag::new(
                        block.span.clone(),
                        &format!("Duplicate {} block", block.ident),
                        format!(
                            "A {} block labeled {label:?} is already defined.",
                            block.ident
                        ),
                    ));
                }
            }
            kind => {
                check_labels(block, 0)?;
                if out.contains_key(&key) {
                    return Err(duplicate(block.span.clone(), block.ident));
                }
                let decoded = match kind {
                    Kind::FreeMap => self.free_map(block.body, &block.scope)?,
                    _ => self.attribute_map(kind, block.body, &block.scope)?,
                };
                out.insert(key, Value::Object(decoded));
            }
        }
        Ok(())
    }

    /// A block of attributes only, such as `meta` or `env`, as a map of converted values.
    fn attribute_map(&self, kind: &Kind, body: &Body, scope: &Scope) -> DResult<Map> {
        let element = match kind {
            Kind::StrListMap => Kind::StrList,
            _ => Kind::Str,
        };
        let mut out = Map::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let value = self.eval.eval(&attr.value, scope)?;
                    let span = attr.value.span();
                    if let Some(value) =
                        convert(&element, value).map_err(|e| unsuitable(span, &e))?
                    {
                        out.insert(attr.key.as_str().to_owned(), value);
                    }
                }
                Structure::Block(block) => {
                    return Err(Diag::new(
                        header_span(block),
                        &format!("Unexpected {:?} block", block.ident.as_str()),
                        "Blocks are not allowed here.",
                    ));
                }
            }
        }
        Ok(out)
    }

    /// A free-form block (`config`, `policy`): attributes keep their values, except that an
    /// object written in place becomes a list of one object, and nested blocks become lists of
    /// objects grouped by type, nested under their labels. This is the shape Nomad's jobspec2
    /// gives task driver configuration.
    fn free_map(&self, body: &Body, scope: &Scope) -> DResult<Map> {
        let mut out = Map::new();
        // Nested blocks by type, in order of first appearance: (type, first header, values).
        let mut groups: Vec<BlockGroup<'_>> = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let mut value = self.eval.eval(&attr.value, scope)?;
                    if matches!(attr.value, Expression::Object(_)) {
                        value = Value::Array(vec![value]);
                    }
                    if out.insert(attr.key.as_str().to_owned(), value).is_some() {
                        return Err(duplicate(attr.key.span(), attr.key.as_str()));
                    }
                }
                Structure::Block(block) => {
                    let mut value = Value::Object(self.free_map(&block.body, scope)?);
                    for label in block.labels.iter().rev() {
                        let mut wrapper = Map::new();
                        wrapper.insert(label.as_str().to_owned(), Value::Array(vec![value]));
                        value = Value::Object(wrapper);
                    }
                    let ident = block.ident.as_str();
                    match groups.iter_mut().find(|group| group.ident == ident) {
                        Some(group) => group.values.push(value),
                        None => groups.push(BlockGroup {
                            ident,
                            span: header_span(block),
                            values: vec![value],
                        }),
                    }
                }
            }
        }
        for group in groups {
            if out
                .insert(group.ident.to_owned(), Value::Array(group.values))
                .is_some()
            {
                return Err(duplicate(group.span, group.ident));
            }
        }
        Ok(out)
    }
}

/// The blocks of one type inside a free-form block.
struct BlockGroup<'b> {
    ident: &'b str,
    span: Option<Range<usize>>,
    values: Vec<Value>,
}

fn is_block(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Block(_)
            | Kind::Blocks(_)
            | Kind::LabeledMap(_)
            | Kind::StrMap
            | Kind::StrListMap
            | Kind::FreeMap
    )
}

/// Kinds that can only be written as blocks (maps of strings may also be written as attributes).
fn is_block_only(kind: &Kind) -> bool {
    is_block(kind) && !matches!(kind, Kind::StrMap) || matches!(kind, Kind::Label)
}

fn check_labels(block: &BlockItem<'_>, expected: usize) -> DResult<()> {
    let ident = block.ident;
    if block.labels.len() < expected {
        return Err(Diag::new(
            block.span.clone(),
            &format!("Missing name for {ident}"),
            format!("All {ident} blocks must have {expected} label(s)."),
        ));
    }
    if block.labels.len() > expected {
        return Err(Diag::new(
            block.span.clone(),
            &format!("Extraneous label for {ident}"),
            match expected {
                0 => format!("No labels are expected for {ident} blocks."),
                n => format!("Only {n} label(s) are expected for {ident} blocks."),
            },
        ));
    }
    Ok(())
}

fn unsupported_argument(attr: &Attribute, key: &str) -> Diag {
    Diag::new(
        attr.key.span(),
        "Unsupported argument",
        format!("An argument named {key:?} is not expected here."),
    )
}

fn duplicate(span: Option<Range<usize>>, name: &str) -> Diag {
    Diag::new(
        span,
        &format!("Duplicate {name} block"),
        format!("{name} may not be defined more than once."),
    )
}

fn unsuitable(span: Option<Range<usize>>, detail: &str) -> Diag {
    Diag::new(
        span,
        "Unsuitable value type",
        format!("Unsuitable value: {detail}"),
    )
}

/// Converts an attribute's value to what its field holds; `None` for null (the field stays
/// unset).
fn convert(kind: &Kind, value: Value) -> Result<Option<Value>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let converted = match kind {
        Kind::Str => Value::String(value::to_string(&value)?),
        Kind::Bool => Value::Bool(value::to_bool(&value).map_err(|_| "bool required".to_owned())?),
        Kind::Int(width) => integer(&value, *width)?,
        Kind::Duration => match &value {
            Value::String(text) => Value::from(duration::parse(text)?),
            Value::Number(_) => integer(&value, Width::I64)?,
            other => {
                return Err(format!(
                    "expected a duration string but found {}",
                    value::type_name(other)
                ));
            }
        },
        Kind::StrList | Kind::IntList(_) => {
            let Value::Array(items) = value else {
                return Err(match kind {
                    Kind::StrList => "list of string required".to_owned(),
                    _ => "list of number required".to_owned(),
                });
            };
            let element = match kind {
                Kind::IntList(width) => Kind::Int(*width),
                _ => Kind::Str,
            };
            Value::Array(
                items
                    .into_iter()
                    .map(|item| {
                        convert(&element, item)?
                            .ok_or_else(|| "null values are not allowed in this list".to_owned())
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        Kind::StrMap => {
            let Value::Object(entries) = value else {
                return Err("map of string required".to_owned());
            };
            let mut out = Map::new();
            for (key, item) in entries {
                if let Some(item) = convert(&Kind::Str, item)? {
                    out.insert(key, item);
                }
            }
            Value::Object(out)
        }
        Kind::StrListMap
        | Kind::FreeMap
        | Kind::Block(_)
        | Kind::Blocks(_)
        | Kind::LabeledMap(_)
        | Kind::Label => value,
    };
    Ok(Some(converted))
}

fn integer(value: &Value, width: Width) -> Result<Value, String> {
    let (min, max) = width.range();
    let whole = || format!("value must be a whole number, between {min} and {max}");
    let n = value::to_i64(value).map_err(|e| if value.is_number() { whole() } else { e })?;
    if !(min..=max).contains(&i128::from(n)) {
        return Err(whole());
    }
    Ok(Value::from(n))
}
