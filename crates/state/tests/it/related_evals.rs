//! `Snapshot::evals_related_to`: the chain of next, previous and blocked evaluations.

use drover_model::EvalStatus;

use crate::support::{Harness, eval, evals};

fn related(h: &Harness, id: &str) -> Vec<String> {
    h.snap()
        .evals_related_to(id)
        .into_iter()
        .map(|stub| stub.id.into())
        .collect()
}

#[test]
fn related_evaluations_follow_every_link_transitively() {
    let mut h = Harness::new();
    // e1 failed and was followed by e2, which left e3 blocked; e4 (another job's) stands alone;
    // e2 also names an evaluation that was never stored.
    let mut e1 = eval("e1", "web", EvalStatus::Failed);
    e1.next_eval = "e2".into();
    let mut e2 = eval("e2", "web", EvalStatus::Complete);
    e2.previous_eval = "e1".into();
    e2.blocked_eval = "e3".into();
    e2.next_eval = "gone".into();
    let mut e3 = eval("e3", "web", EvalStatus::Blocked);
    e3.previous_eval = "e2".into();
    h.ok(evals(vec![
        e1,
        e2,
        e3,
        eval("e4", "api", EvalStatus::Complete),
    ]));

    assert_eq!(related(&h, "e1"), ["e2", "e3"]);
    assert_eq!(related(&h, "e2"), ["e1", "e3"]);
    assert_eq!(related(&h, "e3"), ["e2", "e1"]);
    assert!(related(&h, "e4").is_empty());
    assert!(related(&h, "unknown").is_empty());

    let stub = &h.snap().evals_related_to("e1")[1];
    assert_eq!(
        (
            stub.status,
            stub.previous_eval.as_str(),
            stub.job_id.as_str()
        ),
        (EvalStatus::Blocked, "e2", "web")
    );
}
