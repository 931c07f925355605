//! String functions. Lengths and offsets count characters.

use super::format::format;
use super::{Result, fixed, integer, string, strings};
use crate::value::Value;
use regex::Regex;

pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    match name {
        "format" => {
            let mut args = args.into_iter();
            let template = string(&args.next().ok_or("a format string is required")?)?;
            format(&template, &args.collect::<Vec<_>>()).map(Value::String)
        }
        "formatlist" => format_list(args),
        "join" => {
            let mut args = args.into_iter();
            let separator = string(&args.next().ok_or("a separator is required")?)?;
            let mut parts = Vec::new();
            for arg in args {
                parts.extend(strings(arg)?);
            }
            Ok(Value::String(parts.join(&separator)))
        }
        "split" => {
            let [separator, text] = fixed(args)?;
            let (separator, text) = (string(&separator)?, string(&text)?);
            Ok(Value::Array(
                text.split(separator.as_str())
                    .map(|part| Value::String(part.to_owned()))
                    .collect(),
            ))
        }
        "replace" => {
            let [text, search, replacement] = fixed(args)?;
            let (text, search, replacement) =
                (string(&text)?, string(&search)?, string(&replacement)?);
            // A search string between slashes is a regular expression.
            match search
                .strip_prefix('/')
                .and_then(|s| s.strip_suffix('/'))
                .filter(|_| search.len() > 1)
            {
                Some(pattern) => regex_replace(&text, pattern, &replacement),
                None => Ok(Value::String(text.replace(&search, &replacement))),
            }
        }
        "regex_replace" => {
            let [text, pattern, replacement] = fixed(args)?;
            regex_replace(&string(&text)?, &string(&pattern)?, &string(&replacement)?)
        }
        "indent" => {
            let [spaces, text] = fixed(args)?;
            let spaces =
                usize::try_from(integer(&spaces)?).map_err(|_| "spaces must not be negative")?;
            let pad = format!("\n{}", " ".repeat(spaces.min(1024)));
            Ok(Value::String(string(&text)?.replace('\n', &pad)))
        }
        "substr" => {
            let [text, offset, length] = fixed(args)?;
            substr(&string(&text)?, integer(&offset)?, integer(&length)?)
        }
        "trim" => {
            let [text, cutset] = fixed(args)?;
            let cutset = string(&cutset)?;
            Ok(Value::String(
                string(&text)?
                    .trim_matches(|c| cutset.contains(c))
                    .to_owned(),
            ))
        }
        "trimprefix" | "trimsuffix" => {
            let [text, affix] = fixed(args)?;
            let (text, affix) = (string(&text)?, string(&affix)?);
            let trimmed = if name == "trimprefix" {
                text.strip_prefix(&affix)
            } else {
                text.strip_suffix(&affix)
            };
            Ok(Value::String(trimmed.unwrap_or(&text).to_owned()))
        }
        _ => {
            let [text] = fixed(args)?;
            let text = string(&text)?;
            Ok(match name {
                "chomp" => Value::String(text.trim_end_matches(['\r', '\n']).to_owned()),
                "lower" => Value::String(text.to_lowercase()),
                "upper" => Value::String(text.to_uppercase()),
                "strlen" => Value::from(text.chars().count()),
                "strrev" => Value::String(text.chars().rev().collect()),
                "title" => Value::String(title(&text)),
                _ => Value::String(text.trim().to_owned()),
            })
        }
    }
}

fn regex_replace(text: &str, pattern: &str, replacement: &str) -> Result<Value> {
    let re = Regex::new(pattern).map_err(|e| format!("invalid regular expression: {e}"))?;
    Ok(Value::String(
        re.replace_all(text, replacement).into_owned(),
    ))
}

/// Upper-cases the first letter of every word; words are separated by anything but letters,
/// digits and underscores.
fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_separator = true;
    for c in text.chars() {
        if after_separator {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        after_separator = !(c.is_alphanumeric() || c == '_');
    }
    out
}

/// `substr(text, offset, length)`: a negative offset counts from the end, and a negative length
/// takes everything after the offset.
fn substr(text: &str, offset: i64, length: i64) -> Result<Value> {
    let chars: Vec<char> = text.chars().collect();
    let total = chars.len() as i64;
    let start = if offset < 0 { offset + total } else { offset };
    if start < 0 || start > total {
        return Err("offset out of range".to_owned());
    }
    let end = if length < 0 {
        total
    } else {
        start.saturating_add(length).min(total)
    };
    Ok(Value::String(
        chars[start as usize..end as usize].iter().collect(),
    ))
}

/// `formatlist(format, args...)`: list arguments are walked in step (they must have the same
/// length), other arguments repeat.
fn format_list(args: Vec<Value>) -> Result<Value> {
    let mut args = args.into_iter();
    let template = string(&args.next().ok_or("a format string is required")?)?;
    let args: Vec<Value> = args.collect();
    let mut length = None;
    for arg in &args {
        if let Value::Array(items) = arg {
            match length {
                Some(n) if n != items.len() => {
                    return Err("all list arguments must have the same length".to_owned());
                }
                _ => length = Some(items.len()),
            }
        }
    }
    let Some(length) = length else {
        return Ok(Value::Array(vec![Value::String(format(&template, &args)?)]));
    };
    (0..length)
        .map(|i| {
            let row: Vec<Value> = args
                .iter()
                .map(|arg| match arg {
                    Value::Array(items) => items[i].clone(),
                    other => other.clone(),
                })
                .collect();
            format(&template, &row).map(Value::String)
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}
