//! Feasibility, computed node classes, ranking and node selection: the inner loop of every
//! placement (Nomad's `scheduler/feasible`).
//!
//! # How a scheduler uses it
//!
//! ```text
//! let mut view = ClusterView::new(&snapshot_nodes, allocs_of_those_nodes);   // once per eval
//! let mut stack = GenericStack::new(StackConfig::default(), shuffle_seed(&eval.id, index));
//! stack.set_job(&view, &job);
//! for each placement of group `tg`:
//!     match stack.select(&view, tg, &SelectOptions { penalty_nodes, preferred_node, alloc_name }) {
//!         Some(ranked) => {
//!             // build the Allocation on view.node(ranked.node) with ranked.resources and
//!             // metrics = stack.metrics(&view), then count it so the next select sees it:
//!             view.add_alloc(&alloc);
//!         }
//!         None => failed[tg] = stack.metrics(&view),   // later failures of tg only coalesce
//!     }
//! stops in the plan:           view.remove_alloc(&alloc_id)
//! in-place update check:       view.remove_alloc(old); stack.select_on(&view, tg, node, ..);
//!                              then view.add_alloc(updated or old)
//! blocked eval:                stack.class_eligibility(&view), stack.escaped_computed_class()
//! ```
//!
//! The [`SystemStack`] works the same way one node at a time: `select(&view, tg, node, ..)` for
//! each of [`SystemStack::nodes`].
//!
//! # Rules (Nomad 2.0.6, `nomad-core.md` section 4.5)
//!
//! - Candidates: ready, eligible, not draining nodes in the job's datacenters (`*` globs) and node
//!   pool (`all` or empty: every pool). `NodesAvailable` and `NodesInPool` count them.
//! - Feasibility order: job constraints; group drivers, constraints (group and tasks), devices,
//!   network, secrets providers (cached per computed class unless a `unique.` target escapes);
//!   host and CSI volumes; `distinct_hosts`; `distinct_property`.
//! - Bin packing: port collisions of existing allocations, group ports, task networks, reserved
//!   cores, then CPU, cores, memory and disk; scored by `ScoreFitBinPack` (or `ScoreFitSpread`).
//! - Scores: job anti-affinity, rescheduling penalty, node affinity, spread; the final score is
//!   their mean. The limit and the skipping of non-positive scores follow Nomad's iterators, and
//!   the maximum score wins.
//!
//! # Data layout
//!
//! [`ClusterView`] keeps capacity, usage and computed class ids in flat per-node arrays; class
//! eligibility is a byte per class; metrics count by dense ids; property values and affinity
//! scores are resolved once per node or class. String maps are read only when a class is first
//! seen (or for escaped constraints), and result strings are built only for the chosen node.

mod checks;
mod class;
mod constraint;
mod metrics;
mod net;
mod property;
mod rank;
mod rng;
mod stack;
mod table;
pub mod version;
mod view;

pub use class::computed_class;
pub use constraint::meets_constraint;
pub use rank::SchedulerAlgorithm;
pub use rng::shuffle_seed;
pub use stack::{GenericStack, RankedNode, SelectOptions, StackConfig, SystemStack};
pub use table::{NodeTable, NodeUsage};
pub use view::ClusterView;
