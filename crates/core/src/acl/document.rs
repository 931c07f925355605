//! A policy document as a tree of `key [labels] value` items, read from HCL or from JSON. Both
//! syntaxes land in the same tree so that one decoder validates them alike, the way Nomad's
//! HCL1 decoder treats its two syntaxes.

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Body, Structure};
use serde_json::{Map, Value};

/// One attribute (`policy = "read"`) or block (`namespace "default" { ... }`).
#[derive(Debug)]
pub(super) struct Item {
    pub key: String,
    pub labels: Vec<String>,
    pub value: Node,
}

#[derive(Debug)]
pub(super) enum Node {
    Text(String),
    List(Vec<Node>),
    Object(Vec<Item>),
    /// Numbers, booleans, null and HCL expressions: nothing a policy accepts.
    Other,
}

/// Block kinds whose JSON form maps labels to bodies: `{"namespace": {"default": {...}}}`.
const LABELED: &[&str] = &["namespace", "node_pool", "host_volume", "path"];

/// Reads `rules` as JSON when it starts with `{` (as HCL1 decides), as HCL otherwise.
pub(super) fn read(rules: &str) -> Result<Vec<Item>, String> {
    if rules.trim_start().starts_with('{') {
        read_json(rules)
    } else {
        read_hcl(rules)
    }
}

fn read_hcl(rules: &str) -> Result<Vec<Item>, String> {
    let body = hcl_edit::parser::parse_body(rules).map_err(|e| {
        let at = e.location();
        format!("At {}:{}: {}", at.line(), at.column(), e.message())
    })?;
    Ok(hcl_items(&body))
}

fn hcl_items(body: &Body) -> Vec<Item> {
    body.iter()
        .map(|structure| match structure {
            Structure::Attribute(attribute) => Item {
                key: attribute.key.as_str().to_owned(),
                labels: Vec::new(),
                value: hcl_node(&attribute.value),
            },
            Structure::Block(block) => Item {
                key: block.ident.as_str().to_owned(),
                labels: block.labels.iter().map(|l| l.as_str().to_owned()).collect(),
                value: Node::Object(hcl_items(&block.body)),
            },
        })
        .collect()
}

fn hcl_node(expr: &Expression) -> Node {
    match expr {
        Expression::String(text) => Node::Text(text.value().clone()),
        Expression::Array(array) => Node::List(array.iter().map(hcl_node).collect()),
        Expression::Object(object) => {
            let items: Option<Vec<Item>> = object
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(Expression::String(text)) => text.value().clone(),
                        ObjectKey::Expression(_) => return None,
                    };
                    Some(Item {
                        key,
                        labels: Vec::new(),
                        value: hcl_node(value.expr()),
                    })
                })
                .collect();
            items.map_or(Node::Other, Node::Object)
        }
        Expression::Parenthesis(inner) => hcl_node(inner.inner()),
        _ => Node::Other,
    }
}

fn read_json(rules: &str) -> Result<Vec<Item>, String> {
    match serde_json::from_str::<Value>(rules).map_err(|e| e.to_string())? {
        Value::Object(map) => Ok(json_items(&map)),
        _ => Err("root should be an object".to_owned()),
    }
}

fn json_items(map: &Map<String, Value>) -> Vec<Item> {
    let mut items = Vec::new();
    for (key, value) in map {
        match (LABELED.contains(&key.as_str()), objects(value)) {
            (true, Some(entries)) => {
                for (label, body) in entries.into_iter().flatten() {
                    push_blocks(&mut items, key, vec![label.clone()], body);
                }
            }
            _ => push_blocks(&mut items, key, Vec::new(), value),
        }
    }
    items
}

/// An object is one block and an array of objects is several, as in HCL1's JSON; anything
/// else is a plain value.
fn push_blocks(items: &mut Vec<Item>, key: &str, labels: Vec<String>, value: &Value) {
    match objects(value) {
        Some(bodies) => items.extend(bodies.into_iter().map(|body| Item {
            key: key.to_owned(),
            labels: labels.clone(),
            value: Node::Object(json_items(body)),
        })),
        None => items.push(Item {
            key: key.to_owned(),
            labels,
            value: json_node(value),
        }),
    }
}

fn objects(value: &Value) -> Option<Vec<&Map<String, Value>>> {
    match value {
        Value::Object(map) => Some(vec![map]),
        Value::Array(list) if !list.is_empty() => list.iter().map(Value::as_object).collect(),
        _ => None,
    }
}

fn json_node(value: &Value) -> Node {
    match value {
        Value::String(text) => Node::Text(text.clone()),
        Value::Array(list) => Node::List(list.iter().map(json_node).collect()),
        Value::Object(map) => Node::Object(json_items(map)),
        _ => Node::Other,
    }
}
