//! Check-and-set: concurrent updates that all expect the same `JobModifyIndex`; exactly one
//! wins and every other gets Nomad's conflict message naming the winner's index.

mod engine_common;

use std::sync::Barrier;

use drover::core::api::JobRegisterRequest;
use engine_common::*;

#[test]
fn concurrent_updates_with_the_same_index_have_exactly_one_winner() {
    const WRITERS: i64 = 8;
    let f = fixture();
    let created = f.engine.register_job(&ctx(), sample_register()).unwrap();
    let expected = created.job_modify_index;
    let barrier = Barrier::new(WRITERS as usize);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|n| {
                let (engine, barrier) = (&f.engine, &barrier);
                scope.spawn(move || {
                    let mut job = sample_job("cache");
                    job.priority = 60 + n;
                    let request = JobRegisterRequest {
                        enforce_index: true,
                        job_modify_index: expected,
                        ..register(job)
                    };
                    barrier.wait();
                    engine.update_job(&ctx(), "cache", request)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = winners[0].job_modify_index;
    let conflict = format!(
        "Enforcing job modify index {expected}: job exists with conflicting job modify index: {winner}"
    );
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            (error.status, error.message.as_str()),
            (500, conflict.as_str())
        );
    }
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!((job.version, job.job_modify_index), (1, winner));
    // Only the winner's command reached the log.
    assert_eq!(f.log.entries().len(), 2);
}
