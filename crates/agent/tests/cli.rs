//! `drover job ...` against a `drover agent -dev` process: the commands' output (golden files
//! under `tests/cli_golden/`, with IDs, times and indexes normalized; rewrite them with
//! `UPDATE_GOLDEN=1`) and exit codes.

mod wal_common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::Value;
use wal_common::{AgentProcess, TempDir};

const SERVICE_JOB: &str = r#"
variable "count" {
  type    = number
  default = 1
}

job "example" {
  datacenters = ["dc1"]

  group "cache" {
    count = var.count

    # Long enough that the deployment is still running when the test looks at it.
    update {
      min_healthy_time  = "10m"
      healthy_deadline  = "20m"
      progress_deadline = "30m"
    }

    network {
      port "db" {
        to = 6379
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image = "redis:7"
        ports = ["db"]
      }

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
"#;

const BATCH_JOB: &str = r#"
job "batch" {
  type        = "batch"
  datacenters = ["dc1"]

  group "work" {
    task "echo" {
      driver = "exec"

      config {
        command = "/bin/echo"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
"#;

/// What a CLI run printed and returned.
#[derive(Debug)]
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `drover job <args>` against `address`, in UTC, with a deadline.
fn drover_job(address: &str, dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drover"))
        .arg("job")
        .args(args)
        .current_dir(dir)
        .env("NOMAD_ADDR", address)
        .env_remove("NOMAD_NAMESPACE")
        .env_remove("NOMAD_REGION")
        .env_remove("NOMAD_TOKEN")
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("drover job starts");
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).ok();
            text
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("stdout")));
    let stderr = reader(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("drover job {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

/// Replaces what changes from run to run: IDs, times, relative times and Raft indexes.
fn normalize(text: &str) -> String {
    let rules = [
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "<UUID>",
        ),
        (r"\b[0-9a-f]{8}\b", "<ID>"),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})",
            "<TIME>",
        ),
        (r"\b\d+[a-z]+(\d+[a-z]+)? ago\b", "<AGO>"),
        (r"Job Modify Index: \d+", "Job Modify Index: <INDEX>"),
        (r"-check-index \d+", "-check-index <INDEX>"),
    ];
    rules
        .iter()
        .fold(text.to_string(), |text, (pattern, replacement)| {
            Regex::new(pattern)
                .expect("pattern")
                .replace_all(&text, *replacement)
                .into_owned()
        })
}

/// Compares normalized output with `tests/cli_golden/<name>.txt`.
fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli_golden")
        .join(format!("{name}.txt"));
    let actual = normalize(actual);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("golden dir");
        std::fs::write(&path, &actual).expect("golden written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(actual, expected, "golden {name} differs");
}

/// Waits until every allocation of `job_id` runs (or completes), so that tables are stable.
fn settle(agent: &AgentProcess, job_id: &str, running: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let summary: Value = agent
            .client
            .get(&format!("/v1/job/{job_id}/summary"))
            .expect("summary");
        let groups = summary["Summary"].as_object().expect("groups");
        let done: i64 = groups
            .values()
            .map(|g| g["Running"].as_i64().unwrap_or(0) + g["Complete"].as_i64().unwrap_or(0))
            .sum();
        if done >= running {
            return;
        }
        assert!(Instant::now() < deadline, "{job_id} never ran: {summary}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dev_agent() -> AgentProcess {
    AgentProcess::start(&["-dev", "-sim-batch-run-time", "1h"])
}

#[test]
fn plan_run_history_status_and_stop() {
    let dir = TempDir::new("cli");
    std::fs::write(dir.path().join("example.nomad.hcl"), SERVICE_JOB).expect("jobspec");
    let agent = dev_agent();
    let job = |args: &[&str]| drover_job(&agent.address, dir.path(), args);

    let plan = job(&["plan", "example.nomad.hcl"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    golden("plan_new", &plan.stdout);

    let run = job(&["run", "-detach", "example.nomad.hcl"]);
    assert_eq!(run.code, 0, "{run:?}");
    golden("run_detach", &run.stdout);
    settle(&agent, "example", 1);

    let plan = job(&["plan", "-var", "count=3", "example.nomad.hcl"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    golden("plan_count", &plan.stdout);
    let index = Regex::new(r"-check-index (\d+)")
        .expect("pattern")
        .captures(&plan.stdout)
        .map(|c| c[1].to_string())
        .expect("a check-index hint");

    let stale = job(&[
        "run",
        "-check-index",
        "999",
        "-var",
        "count=3",
        "example.nomad.hcl",
    ]);
    assert_eq!(stale.code, 1, "{stale:?}");
    assert!(
        stale.stderr.contains("Enforcing job modify index 999"),
        "{stale:?}"
    );
    assert!(stale.stderr.ends_with("Job not updated\n"), "{stale:?}");

    let args = [
        "run",
        "-detach",
        "-check-index",
        &index,
        "-var",
        "count=3",
        "example.nomad.hcl",
    ];
    let run = job(&args);
    assert_eq!(run.code, 0, "{run:?}");
    settle(&agent, "example", 3);

    let history = job(&["history", "-p", "example"]);
    assert_eq!(history.code, 0, "{history:?}");
    golden("history", &history.stdout);

    let list = job(&["status"]);
    assert_eq!(list.code, 0, "{list:?}");
    golden("status_list", &list.stdout);

    let status = job(&["status", "exam"]);
    assert_eq!(status.code, 0, "{status:?}");
    golden("status_example", &status.stdout);

    let inspect = job(&["inspect", "example"]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    let inspected: Value = serde_json::from_str(&inspect.stdout).expect("JSON");
    assert_eq!(inspected["Job"]["ID"], "example");
    assert_eq!(inspected["Job"]["TaskGroups"][0]["Count"], 3);

    let stop = job(&["stop", "-detach", "example"]);
    assert_eq!(stop.code, 0, "{stop:?}");
    assert_eq!(normalize(&stop.stdout), "<UUID>\n");
    let stopped: Value = agent.client.get("/v1/job/example").expect("job");
    assert_eq!(stopped["Stop"], true);

    let missing = job(&["status", "nope"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert_eq!(
        missing.stderr,
        "No job(s) with prefix or ID \"nope\" found\n"
    );
}

#[test]
fn run_follows_the_evaluation() {
    let dir = TempDir::new("cli-monitor");
    std::fs::write(dir.path().join("batch.nomad.hcl"), BATCH_JOB).expect("jobspec");
    let agent = dev_agent();

    let run = drover_job(&agent.address, dir.path(), &["run", "batch.nomad.hcl"]);
    assert_eq!(run.code, 0, "{run:?}");
    golden("run_monitor", &run.stdout);
}

#[test]
fn errors_name_what_failed() {
    let dir = TempDir::new("cli-errors");
    std::fs::write(
        dir.path().join("bad.nomad.hcl"),
        "job \"x\" {\n  group = 1\n}\n",
    )
    .expect("jobspec");
    // Nothing listens on port 1.
    let nowhere = "http://127.0.0.1:1";

    let status = drover_job(nowhere, dir.path(), &["status"]);
    assert_eq!(status.code, 1, "{status:?}");
    assert!(
        status
            .stderr
            .starts_with("Error querying jobs: Get \"http://127.0.0.1:1/v1/jobs\": "),
        "{status:?}"
    );

    let plan = drover_job(nowhere, dir.path(), &["plan", "bad.nomad.hcl"]);
    assert_eq!(plan.code, 255, "{plan:?}");
    assert!(
        plan.stderr
            .starts_with("Error getting job struct: Error parsing job file from bad.nomad.hcl:\n"),
        "{plan:?}"
    );

    let flag = drover_job(nowhere, dir.path(), &["status", "-address", "ftp://x"]);
    assert_eq!(flag.code, 1, "{flag:?}");
    assert!(
        flag.stderr.starts_with("Error initializing client: "),
        "{flag:?}"
    );
}
