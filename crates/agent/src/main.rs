//! The `drover` binary (under construction).

fn main() {
    eprintln!("drover: the agent is not built yet");
    std::process::exit(1);
}
