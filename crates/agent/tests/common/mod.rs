//! Shared helpers of the HTTP tests: an agent on an ephemeral 127.0.0.1 port, a small HTTP/1.1
//! client over a plain TCP stream, and checks on status, headers and bodies.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use drover_agent::{Agent, AgentConfig, SimConfig};
use serde_json::Value;

/// An agent running on its own runtime; stopped on drop.
pub struct TestAgent {
    runtime: Option<tokio::runtime::Runtime>,
    agent: Option<Agent>,
    pub addr: SocketAddr,
}

pub fn start() -> TestAgent {
    start_with(|_| {})
}

pub fn start_with(adjust: impl FnOnce(&mut AgentConfig)) -> TestAgent {
    let mut config = AgentConfig {
        http_port: 0,
        tick: Duration::from_millis(20),
        sim: SimConfig {
            node_name: "sim-1".to_string(),
            cpu_mhz: Some(8000),
            memory_mb: Some(16_384),
            ..SimConfig::default()
        },
        ..AgentConfig::default()
    };
    adjust(&mut config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let agent = runtime
        .block_on(Agent::start(config))
        .expect("agent starts");
    TestAgent {
        addr: agent.local_addr(),
        agent: Some(agent),
        runtime: Some(runtime),
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        if let (Some(runtime), Some(agent)) = (self.runtime.take(), self.agent.take()) {
            runtime.block_on(agent.shutdown()).ok();
        }
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lowercased names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The `X-Nomad-*` headers, as `name=value` pairs in name order.
    pub fn nomad_headers(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.starts_with("x-nomad-"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    pub fn index(&self) -> u64 {
        self.header("X-Nomad-Index")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no X-Nomad-Index: {:?}", self.headers))
    }
}

impl TestAgent {
    pub fn get(&self, path: &str) -> Response {
        self.send("GET", path, &[], None)
    }

    pub fn post(&self, path: &str, body: &str) -> Response {
        self.send("POST", path, &[], Some(body.as_bytes()))
    }

    pub fn put(&self, path: &str, body: &str) -> Response {
        self.send("PUT", path, &[], Some(body.as_bytes()))
    }

    pub fn delete(&self, path: &str) -> Response {
        self.send("DELETE", path, &[], None)
    }

    /// One request on a fresh connection; `body: None` sends no Content-Length.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        stream.write_all(&bytes).expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        parse_response(&raw)
    }
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let body = if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// The status and the whole text body.
pub fn check(response: &Response, status: u16, body: &str) {
    assert_eq!(
        (response.status, response.text().as_str()),
        (status, body),
        "headers: {:?}",
        response.headers
    );
}

/// A `text/plain` error with Nomad's text.
pub fn check_error(response: &Response, status: u16, message: &str) {
    check(response, status, message);
    assert_eq!(response.header("content-type"), Some("text/plain"));
}

/// A 200 JSON answer; returns the body.
pub fn check_json(response: &Response) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.json()
}

/// One of the seed's sample request bodies (copied into `tests/samples/`).
pub fn sample(name: &str) -> String {
    let path = format!("{}/tests/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A register body for a small service job with this ID.
pub fn job_body(id: &str) -> String {
    serde_json::json!({
        "Job": {
            "ID": id,
            "Datacenters": ["dc1"],
            "TaskGroups": [{
                "Name": "web",
                "Count": 1,
                "Tasks": [{
                    "Name": "server",
                    "Driver": "docker",
                    "Config": {"image": "nginx"},
                    "Resources": {"CPU": 100, "MemoryMB": 64}
                }]
            }]
        }
    })
    .to_string()
}
