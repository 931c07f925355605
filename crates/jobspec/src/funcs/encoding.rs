//! Encoding functions: base64, URL query escaping, JSON and CSV.

use super::{Result, fixed, string};
use crate::value::{Map, Value};

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    let [arg] = fixed(args)?;
    if name == "jsonencode" {
        return Ok(Value::String(json_encode(&arg)));
    }
    let text = string(&arg)?;
    match name {
        "base64encode" => Ok(Value::String(base64_encode(text.as_bytes()))),
        "base64decode" => {
            let bytes = base64_decode(&text)
                .ok_or_else(|| format!("failed to decode base64 data {text:?}"))?;
            String::from_utf8(bytes).map(Value::String).map_err(|_| {
                "the result of decoding the provided string is not valid UTF-8".to_owned()
            })
        }
        "urlencode" => Ok(Value::String(url_encode(&text))),
        "jsondecode" => serde_json::from_str(&text).map_err(|e| format!("invalid JSON: {e}")),
        _ => csv_decode(&text),
    }
}

/// JSON as HCL's `jsonencode` writes it: compact, keys sorted, and `<`, `>`, `&`, U+2028 and
/// U+2029 escaped (Go's encoder does that so the output is safe inside HTML).
pub(super) fn json_encode(value: &Value) -> String {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            other => out.push(other),
        }
    }
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard, padded base64; anything else (missing padding, stray characters) is rejected.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let last = index == bytes.len() / 4 - 1;
        let padding = chunk.iter().rev().take_while(|b| **b == b'=').count();
        if padding > 2 || (padding > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for (i, b) in chunk[..4 - padding].iter().enumerate() {
            let digit = BASE64.iter().position(|c| c == b)? as u32;
            n |= digit << (18 - 6 * i);
        }
        let produced = 3 - padding;
        out.extend((0..produced).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Some(out)
}

/// Query-string escaping as Go's `url.QueryEscape` does it: spaces become `+`.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// CSV with a header row to a list of objects keyed by the header's names.
fn csv_decode(text: &str) -> Result<Value> {
    let mut rows = csv_rows(text)?.into_iter();
    let header = rows.next().ok_or("missing header line")?;
    rows.enumerate()
        .map(|(i, row)| {
            if row.len() != header.len() {
                return Err(format!(
                    "line {}: wrong number of fields: {} instead of {}",
                    i + 2,
                    row.len(),
                    header.len()
                ));
            }
            Ok(Value::Object(
                header
                    .iter()
                    .cloned()
                    .zip(row.into_iter().map(Value::String))
                    .collect::<Map>(),
            ))
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

fn csv_rows(text: &str) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("extraneous or missing \" in quoted-field".to_owned());
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}
