//! The tables each read watches: pass them to [`crate::Engine::blocking_query`] with the read.

use drover_state::Table;

/// `GET /v1/jobs`.
pub const JOB_LIST: &[Table] = &[Table::Jobs, Table::JobSummary];
/// `GET /v1/job/:id`, and `/submission` (a submission is written with its job).
pub const JOB: &[Table] = &[Table::Jobs];
/// `GET /v1/job/:id/summary`.
pub const JOB_SUMMARY: &[Table] = &[Table::JobSummary];
/// `GET /v1/job/:id/versions`.
pub const JOB_VERSIONS: &[Table] = &[Table::JobVersion];
/// `GET /v1/job/:id/allocations`.
pub const ALLOCS: &[Table] = &[Table::Allocs];
/// `GET /v1/job/:id/evaluations`.
pub const EVALS: &[Table] = &[Table::Evals];
/// `GET /v1/job/:id/deployments` and `/deployment`.
pub const DEPLOYMENTS: &[Table] = &[Table::Deployment];
/// `GET /v1/job/:id/services` (a missing job is a 404 until it appears).
pub const SERVICES: &[Table] = &[Table::ServiceRegistrations, Table::Jobs];
