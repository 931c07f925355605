//! The `drover` binary: `drover agent -dev` serves Nomad's HTTP API with simulated nodes.
//!
//! Flags are Nomad's, written Go-style with one dash (`-dev`, `-bind=127.0.0.1`); two dashes
//! work too.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use drover_agent::AgentArgs;
use tracing_subscriber::EnvFilter;

/// The core keeps millions of small records; mimalloc keeps their allocation cheap and flat.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "drover", version, about = "A Nomad-compatible scheduler core")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a server with simulated client nodes (`-dev` in memory, `-data-dir DIR` durable).
    Agent(AgentArgs),
    /// Job commands against a running agent (`run`, `plan`, `status`, ...).
    Job(drover_agent::cli::JobArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(go_style_flags(std::env::args_os()));
    match cli.command {
        Command::Agent(args) => run_agent(&args),
        Command::Job(args) => drover_agent::cli::run(&args),
    }
}

fn run_agent(args: &AgentArgs) -> ExitCode {
    let config = match args.to_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("drover agent: {e}");
            return ExitCode::from(1);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(args.log_level.to_lowercase()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("drover agent: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(drover_agent::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("drover agent: {e}");
            ExitCode::from(1)
        }
    }
}

/// Go's flag package takes `-name` for long flags; clap wants `--name`. Arguments after `--`
/// and values (not starting with `-`) pass unchanged.
fn go_style_flags(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    let mut rest_verbatim = false;
    args.enumerate()
        .map(|(i, arg)| {
            let Some(text) = arg.to_str() else { return arg };
            if i == 0 || rest_verbatim {
                return arg;
            }
            if text == "--" {
                rest_verbatim = true;
                return arg;
            }
            let single_dash_word = text.starts_with('-')
                && !text.starts_with("--")
                && text[1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && text.len() > 2;
            if single_dash_word {
                OsString::from(format!("-{text}"))
            } else {
                arg
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_dash_flags_become_long_flags() {
        let args = [
            "drover",
            "agent",
            "-dev",
            "-bind=0.0.0.0",
            "--http-port",
            "0",
            "-h",
            "--",
            "-x",
        ]
        .map(OsString::from);
        let got: Vec<String> = go_style_flags(args.into_iter())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "drover",
                "agent",
                "--dev",
                "--bind=0.0.0.0",
                "--http-port",
                "0",
                "-h",
                "--",
                "-x"
            ]
        );
    }

    #[test]
    fn agent_flags_parse() {
        let cli = Cli::parse_from(go_style_flags(
            [
                "drover",
                "agent",
                "-dev",
                "-sim-nodes=3",
                "-sim-datacenters=dc1,dc2",
                "-tick=50ms",
            ]
            .map(OsString::from)
            .into_iter(),
        ));
        let Command::Agent(args) = cli.command else {
            panic!("not the agent command")
        };
        let config = args.to_config().unwrap();
        assert_eq!(config.sim.nodes, 3);
        assert_eq!(config.sim.datacenters, ["dc1", "dc2"]);
        assert_eq!(config.tick, std::time::Duration::from_millis(50));
        assert_eq!(config.http_port, 4646);
    }

    #[test]
    fn durable_mode_takes_the_data_dir() {
        let cli = Cli::parse_from(go_style_flags(
            [
                "drover",
                "agent",
                "-data-dir=/tmp/x",
                "-raft-snapshot-threshold=10",
            ]
            .map(OsString::from)
            .into_iter(),
        ));
        let Command::Agent(args) = cli.command else {
            panic!("not the agent command")
        };
        let config = args.to_config().unwrap();
        assert_eq!(config.data_dir, Some("/tmp/x".into()));
        assert_eq!(config.wal.snapshot_threshold, 10);
    }

    #[test]
    fn an_agent_needs_dev_mode_or_a_data_dir() {
        let cli = Cli::parse_from(["drover", "agent"]);
        let Command::Agent(args) = cli.command else {
            panic!("not the agent command")
        };
        let error = args.to_config().unwrap_err().to_string();
        assert!(error.contains("-data-dir DIR"), "{error}");
    }
}
