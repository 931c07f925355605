//! One HTTP call as Nomad's handlers see it: the method, the decoded path, the query string,
//! the token and the body in; a JSON body with Nomad's `X-Nomad-*` headers, or a `text/plain`
//! error, out.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONNECTION, CONTENT_TYPE, UPGRADE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use drover_core::api::{Read, RequestContext};
use drover_core::model::JobListEntry;
use drover_core::{ApiError, ApiResult, JobListChunks};
use futures_core::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Nomad's text for a method a route does not serve.
pub const INVALID_METHOD: &str = "Invalid method";

#[derive(Debug)]
pub struct Call {
    pub method: Method,
    /// The percent-decoded path.
    pub path: String,
    pub query: Query,
    /// From `X-Nomad-Token`, else `Authorization: Bearer`.
    pub token: Option<String>,
    /// The request asks to be upgraded to a websocket (Nomad's exec streams).
    pub websocket: bool,
    pub body: Bytes,
}

impl Call {
    /// Reads the request; a body over `limit` bytes is answered with 413.
    pub async fn from_request(request: Request, limit: usize) -> Result<Call, Response> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
            error(&ApiError::new(
                413,
                format!("Request body is too large (the limit is {limit} bytes)"),
            ))
        })?;
        Ok(Call {
            path: percent_decode(parts.uri.path(), false),
            query: Query::parse(parts.uri.query().unwrap_or("")),
            token: token(&parts.headers),
            websocket: is_websocket_upgrade(&parts.headers),
            method: parts.method,
            body,
        })
    }

    pub fn is_write(&self) -> bool {
        self.method == Method::PUT || self.method == Method::POST
    }

    /// Who is asking and where: `?namespace`, `?region` and the token.
    pub fn context(&self) -> RequestContext {
        let non_empty = |key: &str| Some(self.query.get(key).to_string()).filter(|v| !v.is_empty());
        RequestContext {
            namespace: non_empty("namespace"),
            region: non_empty("region"),
            token: self.token.clone(),
        }
    }

    /// Decodes a JSON body: empty is 400 "Request body is empty", malformed is 400 naming the
    /// field; `null` members read as absent.
    pub fn decode<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if self.body.is_empty() {
            return Err(ApiError::bad_request("Request body is empty"));
        }
        drover_core::model::decode(&self.body, "").map_err(|e| ApiError::bad_request(e.to_string()))
    }

    /// `?pretty` (any value but `0`).
    fn pretty(&self) -> bool {
        self.query.values("pretty").next().is_some_and(|v| v != "0")
    }

    /// A 200 JSON answer.
    pub fn json(&self, meta: Meta, value: &impl Serialize) -> Response {
        let encoded = if self.pretty() {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            value.serialize(&mut serializer).map(|()| {
                out.push(b'\n');
                out
            })
        } else {
            serde_json::to_vec(value)
        };
        match encoded {
            Ok(body) => json_response(meta, Body::from(body)),
            Err(e) => error(&ApiError::internal(e.to_string())),
        }
    }

    /// A read's answer with the query meta (index, known leader, last contact, next token); a
    /// "not found" that carries an index gets the same headers.
    pub fn read<T: Serialize>(&self, result: ApiResult<Read<T>>) -> Response {
        match result {
            Ok(read) => self.json(Meta::query(read.index, read.next_token), &read.value),
            Err(e) => {
                let mut response = error(&e);
                if let Some(index) = e.index {
                    Meta::query(index, String::new()).set(response.headers_mut());
                }
                response
            }
        }
    }

    /// [`Self::read`] for `GET /v1/jobs`: the compact body is written by hand and sent in
    /// pieces as they are written ([`JobListChunks`]), never whole; `?pretty` goes through
    /// serde.
    pub fn read_job_list(&self, result: ApiResult<Read<Vec<JobListEntry>>>) -> Response {
        match result {
            Ok(read) if !self.pretty() => {
                let meta = Meta::query(read.index, read.next_token);
                let pieces = Pieces(JobListChunks::new(read.value));
                json_response(meta, Body::from_stream(pieces))
            }
            other => self.read(other),
        }
    }

    /// An answer whose headers `meta` picks (writes: `X-Nomad-Index` only, Nomad's `setIndex`).
    pub fn reply<T: Serialize>(&self, result: ApiResult<T>, meta: impl Fn(&T) -> Meta) -> Response {
        match result {
            Ok(value) => self.json(meta(&value), &value),
            Err(e) => error(&e),
        }
    }
}

/// The `X-Nomad-*` headers of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    /// No `X-Nomad-*` headers (validate, version tags).
    None,
    /// `X-Nomad-Index` only (writes).
    Index(u64),
    /// A query's meta: index, leader, last contact, and the next page's token if any.
    Query {
        index: u64,
        known_leader: bool,
        next_token: String,
    },
}

impl Meta {
    /// The meta of a read served by this agent, the leader.
    pub fn query(index: u64, next_token: String) -> Self {
        Meta::Query {
            index,
            known_leader: true,
            next_token,
        }
    }

    fn set(&self, headers: &mut HeaderMap) {
        let mut put = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        match self {
            Meta::None => {}
            Meta::Index(index) => put("X-Nomad-Index", index.to_string()),
            Meta::Query {
                index,
                known_leader,
                next_token,
            } => {
                put("X-Nomad-Index", index.to_string());
                put("X-Nomad-LastContact", "0".to_string());
                put("X-Nomad-KnownLeader", known_leader.to_string());
                if !next_token.is_empty() {
                    put("X-Nomad-NextToken", next_token.clone());
                }
            }
        }
    }
}

/// An error as Nomad writes it: the status and the bare message as `text/plain`.
pub fn error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        e.message.clone(),
    )
        .into_response()
}

/// 405 "Invalid method".
pub fn invalid_method() -> Response {
    error(&ApiError::new(405, INVALID_METHOD))
}

/// An empty 404, as Nomad answers a path it has no handler for.
pub fn no_route() -> Response {
    (StatusCode::NOT_FOUND, Body::empty()).into_response()
}

/// Nomad's `parseToken`: `X-Nomad-Token`, else the first word after `Bearer` (any case).
fn token(headers: &HeaderMap) -> Option<String> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(token) = header("X-Nomad-Token").filter(|t| !t.is_empty()) {
        return Some(token.trim().to_string());
    }
    let (scheme, value) = header(AUTHORIZATION.as_str())?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    value
        .split(' ')
        .find(|word| !word.is_empty())
        .map(str::to_string)
}

/// gorilla/websocket's `IsWebSocketUpgrade`: `Connection` has the token `upgrade` and
/// `Upgrade` the token `websocket`, in any case.
fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    has_token(CONNECTION, "upgrade") && has_token(UPGRADE, "websocket")
}

/// A query string, decoded (`+` is a space), in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: &str) -> Self {
        let pairs = raw
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(key, true), percent_decode(value, true))
            })
            .collect();
        Self { pairs }
    }

    /// Every value of `key`, in order.
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key`; "" when absent (Go's `Query().Get`).
    pub fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Nomad's `parseBool`: absent or empty is `None`; a value Go's `ParseBool` refuses is a 500.
    pub fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        let value = self.get(key);
        if value.is_empty() {
            return Ok(None);
        }
        parse_go_bool(value).map(Some).ok_or_else(|| {
            ApiError::internal(format!(
                "Failed to parse value of {key:?} ({value}) as a bool: strconv.ParseBool: parsing {value:?}: invalid syntax"
            ))
        })
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Percent-decodes `text` (and `+` as a space in query strings). Invalid escapes stay as they
/// are; invalid UTF-8 is replaced.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' => {
                let digit = |at: usize| bytes.get(at).and_then(|&b| hex(b));
                match (digit(i + 1), digit(i + 2)) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A 200 answer of JSON `body` with the headers `meta` picks.
fn json_response(meta: Meta, body: Body) -> Response {
    let mut response = (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response();
    meta.set(response.headers_mut());
    response
}

/// A body's pieces as the stream a response body is made from: each is written when the
/// connection is ready for it.
struct Pieces<I>(I);

impl<I> Stream for Pieces<I>
where
    I: Iterator<Item = serde_json::Result<Vec<u8>>> + Unpin,
{
    type Item = serde_json::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.next().map(|piece| piece.map(Bytes::from)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        let check = |input, plus, expected: &str| assert_eq!(percent_decode(input, plus), expected);
        check("a%2Fb", false, "a/b");
        check("a%2fb+c", false, "a/b+c");
        check("a+c", true, "a c");
        check("100%", false, "100%");
        check("%zz%4", false, "%zz%4");
        check("%E5%AD%97", false, "字");
    }

    #[test]
    fn queries() {
        let query =
            Query::parse("prefix=ex&pretty&meta=True&meta=false&filter=Name+%3D%3D+%22a%22");
        assert_eq!(query.get("prefix"), "ex");
        assert_eq!(query.get("missing"), "");
        assert_eq!(query.values("pretty").collect::<Vec<_>>(), [""]);
        assert_eq!(query.bool("meta"), Ok(Some(true)));
        assert_eq!(query.get("filter"), "Name == \"a\"");
        let bad = Query::parse("purge=yes").bool("purge").unwrap_err();
        assert_eq!(
            (bad.status, bad.message.as_str()),
            (
                500,
                "Failed to parse value of \"purge\" (yes) as a bool: strconv.ParseBool: parsing \"yes\": invalid syntax"
            )
        );
    }

    #[test]
    fn tokens() {
        let check = |name: &'static str, value: &str, expected: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_str(value).unwrap());
            assert_eq!(token(&headers).as_deref(), expected, "{name}: {value}");
        };
        check("X-Nomad-Token", " abc ", Some("abc"));
        check("Authorization", "Bearer abc", Some("abc"));
        check("Authorization", "bearer  abc def", Some("abc"));
        check("Authorization", "Basic abc", None);
        check("Authorization", "Bearer", None);
    }
}
