//! A small blocking HTTP/1.1 client over `TcpStream` for the CLI: one request per connection,
//! JSON bodies, Nomad's token header and the `namespace`/`region` query parameters. The CLI
//! makes a handful of requests per command, so nothing here pools or pipelines.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AgentError;

/// How long connecting and each read or write may take.
const TIMEOUT: Duration = Duration::from_secs(330);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and as whom the CLI talks to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// `host:port`.
    authority: String,
    namespace: Option<String>,
    region: Option<String>,
    token: Option<String>,
}

/// An answer with a 2xx status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// `X-Nomad-Index`, 0 when absent.
    pub index: u64,
    pub body: Vec<u8>,
}

impl Client {
    /// A client for `address` (`http://host:port`, as in `NOMAD_ADDR`).
    pub fn new(address: &str) -> Result<Client, AgentError> {
        let authority = match address.split_once("://") {
            Some(("http", authority)) => authority,
            Some((scheme, _)) => {
                return Err(AgentError::Usage(format!(
                    "unsupported address scheme {scheme:?} in {address:?}: only http is supported"
                )));
            }
            None => address,
        };
        let authority = authority.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(AgentError::Usage(format!("invalid address {address:?}")));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(Client {
            authority,
            namespace: None,
            region: None,
            token: None,
        })
    }

    pub fn with_namespace(mut self, namespace: Option<String>) -> Client {
        self.namespace = namespace.filter(|n| !n.is_empty());
        self
    }

    pub fn with_region(mut self, region: Option<String>) -> Client {
        self.region = region.filter(|r| !r.is_empty());
        self
    }

    pub fn with_token(mut self, token: Option<String>) -> Client {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AgentError> {
        decode(path, &self.send("GET", path, None)?)
    }

    pub fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, AgentError> {
        let body = serde_json::to_vec(body).map_err(|e| AgentError::Usage(e.to_string()))?;
        decode(path, &self.send("PUT", path, Some(&body))?)
    }

    /// A `PUT` without a body (Nomad's client sends none to `periodic/force`).
    pub fn put_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T, AgentError> {
        decode(path, &self.send("PUT", path, None)?)
    }

    pub fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, AgentError> {
        decode(path, &self.send("DELETE", path, None)?)
    }

    /// Sends one request; `path` may carry a query, to which the namespace and region are
    /// added. A status other than 2xx is an [`AgentError::Api`].
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Response, AgentError> {
        let target = self.target(path);
        let url = format!("http://{}{target}", self.authority);
        let failed = |e: std::io::Error| AgentError::Http {
            method: go_method(method),
            url: url.clone(),
            source: e,
        };
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: drover\r\nAccept: application/json\r\n",
            self.authority
        );
        if let Some(token) = &self.token {
            request.push_str(&format!("X-Nomad-Token: {token}\r\n"));
        }
        let body = body.unwrap_or_default();
        if !body.is_empty() || method != "GET" {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");

        let mut stream = self.connect().map_err(failed)?;
        stream.set_read_timeout(Some(TIMEOUT)).map_err(failed)?;
        stream.set_write_timeout(Some(TIMEOUT)).map_err(failed)?;
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).map_err(failed)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(failed)?;
        let response = parse_response(&raw).map_err(|reason| failed(invalid_data(reason)))?;
        if !(200..300).contains(&response.status) {
            return Err(AgentError::Api {
                status: response.status,
                body: String::from_utf8_lossy(&response.body).trim().to_string(),
            });
        }
        Ok(response)
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in self.authority.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| invalid_data("no address to connect to".to_string())))
    }

    fn target(&self, path: &str) -> String {
        let mut target = path.to_string();
        let params = [("namespace", &self.namespace), ("region", &self.region)];
        for (name, value) in params {
            if let Some(value) = value
                && !path.contains(&format!("{name}="))
            {
                let separator = if target.contains('?') { '&' } else { '?' };
                target.push_str(&format!("{separator}{name}={}", escape(value)));
            }
        }
        target
    }
}

fn decode<T: DeserializeOwned>(path: &str, response: &Response) -> Result<T, AgentError> {
    serde_json::from_slice(&response.body).map_err(|e| AgentError::Decode {
        path: path.to_string(),
        reason: e.to_string(),
    })
}

/// Go's spelling of a method in its client errors (`Get "http://..."`).
fn go_method(method: &str) -> String {
    let mut chars = method.chars();
    chars
        .next()
        .map(|first| first.to_string() + &chars.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}

fn invalid_data(reason: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, reason)
}

/// Percent-encodes a path segment or query value (Go's `url.PathEscape` set, plus `/`, `?`,
/// `&` and `=` so that a job ID stays one segment and one value).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'@' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Splits a whole HTTP/1.1 response: status, `X-Nomad-Index`, and the body (chunked or not).
fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the response has no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or("the response has no status line")?;
    let mut index = 0;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "x-nomad-index" => index = value.parse().unwrap_or(0),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "content-length" => length = value.parse::<usize>().ok(),
            _ => {}
        }
    }
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest[..length.unwrap_or(rest.len()).min(rest.len())].to_vec()
    };
    Ok(Response {
        status,
        index,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk has no size line")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("a chunk is cut short")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let authority = |address: &str| Client::new(address).map(|c| c.authority);
        assert_eq!(
            authority("http://127.0.0.1:4646").unwrap(),
            "127.0.0.1:4646"
        );
        assert_eq!(authority("http://localhost/").unwrap(), "localhost:80");
        assert_eq!(authority("127.0.0.1:9999").unwrap(), "127.0.0.1:9999");
        assert!(authority("https://127.0.0.1:4646").is_err());
        assert!(authority("http://").is_err());
    }

    #[test]
    fn targets_carry_namespace_and_region() {
        let client = Client::new("http://127.0.0.1:4646")
            .unwrap()
            .with_namespace(Some("team a".to_string()))
            .with_region(Some("global".to_string()));
        assert_eq!(
            client.target("/v1/jobs?prefix=web"),
            "/v1/jobs?prefix=web&namespace=team%20a&region=global"
        );
        assert_eq!(
            client.target("/v1/jobs?namespace=*"),
            "/v1/jobs?namespace=*&region=global"
        );
    }

    #[test]
    fn escaping_keeps_an_id_one_segment() {
        assert_eq!(escape("batch/dispatch-1 x?y"), "batch%2Fdispatch-1%20x%3Fy");
    }

    #[test]
    fn responses_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nX-Nomad-Index: 7\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(
            parse_response(plain).unwrap(),
            Response {
                status: 200,
                index: 7,
                body: b"{}".to_vec()
            }
        );
        let chunked =
            b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n4\r\njob \r\n9\r\nnot found\r\n0\r\n\r\n";
        let response = parse_response(chunked).unwrap();
        assert_eq!(
            (response.status, response.body),
            (404, b"job not found".to_vec())
        );
    }
}
