//! drover-state's behavior tests: one binary, one module per area.

mod encoding;
mod golden;
mod ids;
mod in_place;
mod listing;
mod model;
mod reclaim;
mod related_evals;
mod semantics;
mod support;
mod waits;
