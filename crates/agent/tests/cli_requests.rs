//! `drover job ...` against a scripted HTTP server: the requests each command sends (method,
//! path, body) and what it prints for Nomad's answers, for the commands whose endpoints need
//! engine calls an agent may not serve yet (dispatch, scale, revert, periodic force) and for
//! answers an agent rarely gives (failed placements).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use regex::Regex;
use serde_json::{Value, json};

/// A request the server received.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    method: String,
    target: String,
    body: Option<Value>,
}

struct Route {
    method: &'static str,
    path: String,
    body: Value,
}

fn route(method: &'static str, path: impl Into<String>, body: Value) -> Route {
    Route {
        method,
        path: path.into(),
        body,
    }
}

/// Answers each request with the first route whose method matches and whose path starts the
/// request's target; records every request.
struct Server {
    address: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn start(routes: Vec<Route>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let request = read_request(&mut stream);
                let answer = routes
                    .iter()
                    .find(|route| {
                        route.method == request.method && request.target.starts_with(&route.path)
                    })
                    .map(|route| (200, route.body.to_string()))
                    .unwrap_or((404, "no route".to_string()));
                recorded.lock().unwrap().push(request);
                let response = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    answer.0,
                    answer.1.len(),
                    answer.1
                );
                stream.write_all(response.as_bytes()).ok();
            }
        });
        Server { address, requests }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Request {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).expect("request line");
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("header");
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    Request {
        method,
        target,
        body: (!body.is_empty()).then(|| serde_json::from_slice(&body).expect("JSON body")),
    }
}

fn request(method: &str, target: &str, body: Option<Value>) -> Request {
    Request {
        method: method.to_string(),
        target: target.to_string(),
        body,
    }
}

/// Runs `drover job <args>`; returns the exit code, stdout and stderr.
fn drover_job(server: &Server, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drover"))
        .arg("job")
        .args(args)
        .env("NOMAD_ADDR", &server.address)
        .env("TZ", "UTC")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("drover job starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("stdin written");
    let output = child.wait_with_output().expect("drover job finishes");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const EVAL_ID: &str = "e1e1e1e1-0000-4000-8000-000000000001";

fn job_list(id: &str) -> Value {
    json!([{"ID": id, "Namespace": "default", "Type": "batch", "Status": "running"}])
}

#[test]
fn dispatch_sends_the_payload_and_meta() {
    let server = Server::start(vec![
        route("GET", "/v1/jobs?prefix=param", job_list("param")),
        route(
            "PUT",
            "/v1/job/param/dispatch",
            json!({"DispatchedJobID": "param/dispatch-1700000000-0a1b2c3d", "EvalID": EVAL_ID,
                   "EvalCreateIndex": 9, "JobCreateIndex": 9, "Index": 9}),
        ),
    ]);
    let (code, stdout, stderr) = drover_job(
        &server,
        &["dispatch", "-detach", "-meta", "input=a.txt", "param", "-"],
        b"hello",
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        "Dispatched Job ID = param/dispatch-1700000000-0a1b2c3d\nEvaluation ID     = e1e1e1e1\n"
    );
    assert_eq!(
        server.requests(),
        [
            request("GET", "/v1/jobs?prefix=param&per_page=20", None),
            request(
                "PUT",
                "/v1/job/param/dispatch?namespace=default",
                Some(
                    json!({"JobID": "param", "Payload": "aGVsbG8=", "Meta": {"input": "a.txt"},
                            "IdPrefixTemplate": "", "Priority": 0})
                )
            ),
        ]
    );
}

#[test]
fn scale_targets_the_only_group() {
    let server = Server::start(vec![
        route("GET", "/v1/jobs?prefix=web", job_list("web")),
        route(
            "GET",
            "/v1/job/web",
            json!({"ID": "web", "Type": "service", "TaskGroups": [{"Name": "cache", "Count": 1}]}),
        ),
        route("PUT", "/v1/job/web/scale", json!({"EvalID": EVAL_ID})),
    ]);
    let (code, stdout, stderr) = drover_job(&server, &["scale", "-detach", "web", "3"], b"");
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        format!("Job scale successful\nEvaluation ID: {EVAL_ID}\n")
    );
    let scale = server.requests().pop().expect("the scale request");
    assert_eq!(
        scale.body,
        Some(
            json!({"Count": 3, "Target": {"Job": "web", "Group": "cache"},
                    "Message": "submitted using the drover CLI", "PolicyOverride": false,
                    "JobModifyIndex": 0})
        )
    );

    let (code, _, stderr) = drover_job(&server, &["scale", "web", "db", "3"], b"");
    assert_eq!(
        (code, stderr.as_str()),
        (1, "Group db not found within job\n")
    );
}

#[test]
fn revert_and_periodic_force_print_the_evaluation() {
    let server = Server::start(vec![
        route("GET", "/v1/jobs?prefix=web", job_list("web")),
        route("PUT", "/v1/job/web/revert", json!({"EvalID": EVAL_ID})),
        route("GET", "/v1/jobs?prefix=nightly", job_list("nightly")),
        route(
            "PUT",
            "/v1/job/nightly/periodic/force",
            json!({"EvalID": EVAL_ID, "EvalCreateIndex": 5, "Index": 5}),
        ),
    ]);
    let (code, stdout, _) = drover_job(&server, &["revert", "-detach", "web", "1"], b"");
    assert_eq!((code, stdout), (0, format!("Evaluation ID: {EVAL_ID}\n")));
    let (code, stdout, _) = drover_job(&server, &["periodic", "force", "-detach", "nightly"], b"");
    assert_eq!(
        (code, stdout),
        (
            0,
            format!("Force periodic successful\nEvaluation ID: {EVAL_ID}\n")
        )
    );
    let requests = server.requests();
    assert_eq!(
        requests[1],
        request(
            "PUT",
            "/v1/job/web/revert?namespace=default",
            Some(json!({"JobID": "web", "JobVersion": 1}))
        )
    );
    assert_eq!(
        requests[3],
        request(
            "PUT",
            "/v1/job/nightly/periodic/force?namespace=default",
            None
        )
    );
}

#[test]
fn the_monitor_explains_failed_placements() {
    let failed = json!({
        "ID": EVAL_ID, "JobID": "nightly", "Status": "complete", "CreateIndex": 5,
        "BlockedEval": "b10cked0-0000-4000-8000-000000000002",
        "FailedTGAllocs": {"cache": {
            "NodesEvaluated": 1, "NodesExhausted": 1, "CoalescedFailures": 2,
            "DimensionExhausted": {"memory": 1}
        }}
    });
    let server = Server::start(vec![
        route("GET", "/v1/jobs?prefix=nightly", job_list("nightly")),
        route(
            "PUT",
            "/v1/job/nightly/periodic/force",
            json!({"EvalID": EVAL_ID}),
        ),
        route(
            "GET",
            format!("/v1/evaluation/{EVAL_ID}/allocations"),
            json!([]),
        ),
        route("GET", format!("/v1/evaluation/{EVAL_ID}"), failed),
    ]);
    let (code, stdout, _) = drover_job(&server, &["periodic", "force", "nightly"], b"");
    assert_eq!(code, 2, "{stdout}");
    let time = Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z").expect("pattern");
    assert_eq!(
        time.replace_all(&stdout, "<TIME>"),
        r#"==> <TIME>: Monitoring evaluation "e1e1e1e1"
    <TIME>: Evaluation triggered by job "nightly"
    <TIME>: Evaluation status changed: "pending" -> "complete"
==> <TIME>: Evaluation "e1e1e1e1" finished with status "complete" but failed to place all allocations:
    <TIME>: Task Group "cache" (failed to place 3 allocations):
      * Resources exhausted on 1 nodes
      * Dimension "memory" exhausted on 1 nodes
    <TIME>: Evaluation "b10cked0" waiting for additional capacity to place remainder
"#
    );
}
