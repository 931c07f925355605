//! Collection functions over lists and maps.

use super::{Result, between, fixed, integer, list, object, string, strings};
use crate::types::set_of;
use crate::value::{self, Map, Value};

/// The longest list `range` and `setproduct` build; bigger results are surely mistakes, and an
/// unbounded one would let a tiny jobspec exhaust memory.
const MAX_GENERATED: usize = 65_536;

pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    match name {
        "coalesce" => args
            .into_iter()
            .find(|v| !v.is_null() && v.as_str() != Some(""))
            .ok_or_else(|| "no non-null, non-empty-string arguments".to_owned()),
        "coalescelist" => {
            for arg in args {
                if !list(arg.clone())?.is_empty() {
                    return Ok(arg);
                }
            }
            Err("no non-empty list arguments".to_owned())
        }
        "concat" => {
            let mut out = Vec::new();
            for arg in args {
                out.extend(list(arg)?);
            }
            Ok(Value::Array(out))
        }
        "merge" => {
            let mut out = Map::new();
            for arg in args.into_iter().filter(|v| !v.is_null()) {
                out.extend(object(arg)?);
            }
            Ok(Value::Object(out))
        }
        "range" => range(args),
        "lookup" => {
            between(&args, 2, 3)?;
            let mut args = args.into_iter();
            let (map, key) = (args.next(), args.next());
            let (mut map, key) = (
                object(map.unwrap_or_default())?,
                string(&key.unwrap_or_default())?,
            );
            match (map.remove(&key), args.next()) {
                (Some(found), _) => Ok(found),
                (None, Some(default)) => Ok(default),
                (None, None) => Err(format!("lookup failed to find key {key:?}")),
            }
        }
        "setintersection" | "setunion" => {
            let mut sets = args
                .into_iter()
                .map(list)
                .collect::<Result<Vec<_>>>()?
                .into_iter();
            let mut result = set_of(sets.next().ok_or("at least one argument is required")?);
            for set in sets {
                if name == "setunion" {
                    result.extend(set);
                } else {
                    result.retain(|item| set.iter().any(|other| value::equal(item, other)));
                }
            }
            Ok(Value::Array(set_of(result)))
        }
        "setproduct" => {
            let mut product: Vec<Vec<Value>> = vec![Vec::new()];
            for set in args {
                let set = set_of(list(set)?);
                if product.len().saturating_mul(set.len()) > MAX_GENERATED {
                    return Err(format!(
                        "the product has more than {MAX_GENERATED} elements"
                    ));
                }
                product = product
                    .iter()
                    .flat_map(|prefix| {
                        set.iter().map(move |item| {
                            let mut row = prefix.clone();
                            row.push(item.clone());
                            row
                        })
                    })
                    .collect();
            }
            Ok(Value::Array(
                product.into_iter().map(Value::Array).collect(),
            ))
        }
        "slice" => {
            let [items, start, end] = fixed(args)?;
            let items = list(items)?;
            let (start, end) = (integer(&start)?, integer(&end)?);
            if start < 0 || end < start || end as usize > items.len() {
                return Err(format!(
                    "slice bounds [{start}:{end}] are out of range for a list of {} elements",
                    items.len()
                ));
            }
            Ok(Value::Array(items[start as usize..end as usize].to_vec()))
        }
        "zipmap" => {
            let [keys, values] = fixed(args)?;
            let (keys, values) = (strings(keys)?, list(values)?);
            if keys.len() != values.len() {
                return Err("the keys and values lists must have the same length".to_owned());
            }
            Ok(Value::Object(keys.into_iter().zip(values).collect()))
        }
        "chunklist" => {
            let [items, size] = fixed(args)?;
            let items = list(items)?;
            let size =
                usize::try_from(integer(&size)?).map_err(|_| "the size must not be negative")?;
            let size = if size == 0 { items.len().max(1) } else { size };
            Ok(Value::Array(
                items
                    .chunks(size)
                    .map(|chunk| Value::Array(chunk.to_vec()))
                    .collect(),
            ))
        }
        "contains" | "element" | "index" => {
            let [items, needle] = fixed(args)?;
            let items = list(items)?;
            match name {
                "contains" => Ok(Value::Bool(items.iter().any(|i| value::equal(i, &needle)))),
                "index" => items
                    .iter()
                    .position(|i| value::equal(i, &needle))
                    .map(Value::from)
                    .ok_or_else(|| "item not found".to_owned()),
                _ => {
                    let index = integer(&needle)?;
                    if items.is_empty() {
                        return Err("cannot use element function with an empty list".to_owned());
                    }
                    let index = usize::try_from(index)
                        .map_err(|_| "cannot use element function with a negative index")?;
                    Ok(items[index % items.len()].clone())
                }
            }
        }
        _ => unary(name, args),
    }
}

fn unary(name: &str, args: Vec<Value>) -> Result<Value> {
    let [arg] = fixed(args)?;
    match name {
        "length" => match &arg {
            Value::String(s) => Ok(Value::from(s.chars().count())),
            Value::Object(entries) => Ok(Value::from(entries.len())),
            _ => Ok(Value::from(list(arg)?.len())),
        },
        "keys" => Ok(Value::Array(
            object(arg)?
                .into_iter()
                .map(|(k, _)| Value::String(k))
                .collect(),
        )),
        "values" => Ok(Value::Array(
            object(arg)?.into_iter().map(|(_, v)| v).collect(),
        )),
        "compact" => Ok(Value::Array(
            list(arg)?
                .into_iter()
                .filter(|v| !v.is_null() && v.as_str() != Some(""))
                .collect(),
        )),
        "distinct" => {
            let mut out: Vec<Value> = Vec::new();
            for item in list(arg)? {
                if !out.iter().any(|seen| value::equal(seen, &item)) {
                    out.push(item);
                }
            }
            Ok(Value::Array(out))
        }
        "flatten" => {
            let mut out = Vec::new();
            flatten(list(arg)?, &mut out, 0)?;
            Ok(Value::Array(out))
        }
        "reverse" => Ok(Value::Array(list(arg)?.into_iter().rev().collect())),
        _ => {
            let mut sorted = strings(arg)?;
            sorted.sort();
            Ok(Value::Array(
                sorted.into_iter().map(Value::String).collect(),
            ))
        }
    }
}

fn flatten(items: Vec<Value>, out: &mut Vec<Value>, depth: usize) -> Result<()> {
    if depth > 64 {
        return Err("the list is nested too deeply".to_owned());
    }
    for item in items {
        match item {
            Value::Array(inner) => flatten(inner, out, depth + 1)?,
            other => out.push(other),
        }
    }
    Ok(())
}

/// `range(limit)`, `range(start, limit)` or `range(start, limit, step)`.
fn range(args: Vec<Value>) -> Result<Value> {
    between(&args, 1, 3)?;
    let numbers = args.iter().map(super::number).collect::<Result<Vec<_>>>()?;
    let (start, limit) = match numbers[..] {
        [limit] => (0.0, limit),
        [start, limit, ..] => (start, limit),
        _ => (0.0, 0.0),
    };
    let step = numbers
        .get(2)
        .copied()
        .unwrap_or(if start <= limit { 1.0 } else { -1.0 });
    if step == 0.0 {
        return Err("step must not be zero".to_owned());
    }
    if (step > 0.0 && start > limit) || (step < 0.0 && start < limit) {
        return Err("the step moves away from the limit".to_owned());
    }
    let mut out = Vec::new();
    let mut current = start;
    while (step > 0.0 && current < limit) || (step < 0.0 && current > limit) {
        if out.len() == MAX_GENERATED {
            return Err(format!("more than {MAX_GENERATED} values"));
        }
        out.push(value::number(current)?);
        current += step;
    }
    Ok(Value::Array(out))
}
