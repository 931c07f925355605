//! drover-broker's behavior tests, in one binary: golden broker scenarios, the broker against a
//! reference model, blocked evaluations, and the blocking wrapper.

mod blocked;
mod golden;
mod model;
mod shared;

use drover_broker::Time;
use drover_model::Evaluation;

/// A pending evaluation of `job` in the default namespace; its create and modify indexes are
/// `index`.
pub fn eval(id: &str, job: &str, priority: i32, eval_type: &str, index: u64) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: "default".to_owned(),
        priority,
        eval_type: eval_type.to_owned(),
        job_id: job.to_owned(),
        create_index: index,
        modify_index: index,
        ..Evaluation::default()
    }
}

/// `secs` seconds after the epoch.
pub fn at(secs: f64) -> Time {
    Time::from_unix_nanos((secs * 1e9).round() as i64)
}
