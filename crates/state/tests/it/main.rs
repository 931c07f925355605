//! drover-state's behavior tests: one binary, one module per area.

mod encoding;
mod golden;
mod listing;
mod model;
mod semantics;
mod support;
mod waits;
