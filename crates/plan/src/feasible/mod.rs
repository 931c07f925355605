//! Feasibility, computed node classes, ranking and node selection: the inner loop of every
//! placement (Nomad's `scheduler/feasible`).
//!
//! # How a scheduler uses it
//!
//! ```text
//! // Once per node set (rebuild when a node changes; share it across evaluations):
//! let table = Arc::new(NodeTable::new(&snapshot_nodes));
//! // Once per evaluation:
//! let mut view = ClusterView::with_table(table.clone(), allocs_on_those_nodes);
//! let mut stack = GenericStack::new(StackConfig::default(), shuffle_seed(&eval.id, index));
//! stack.set_job(&view, &job);
//! for each placement of group `tg`:
//!     match stack.select(&view, tg, &SelectOptions { penalty_nodes, preferred_node, alloc_name }) {
//!         Some(ranked) => {
//!             // build the Allocation on view.node(ranked.node) with ranked.resources (and,
//!             // when it will be stored, metrics = stack.metrics(&view)); then count it so the
//!             // next select sees it:
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
//! each of [`SystemStack::nodes`]. `ClusterView::new(nodes, allocs)` builds a table and a view in
//! one go, for tests and small clusters.
//!
//! Costs to plan around (5,000 nodes, see `benches/feasibility.rs`): a `NodeTable` takes a few
//! milliseconds to build, a view over it a tenth of a millisecond, a placement a few
//! microseconds, and `metrics()` about a microsecond (it builds the model's maps and strings).
//! Every node a `select` looks at is counted in `NodesEvaluated`, so the placement cost stays
//! proportional to the limit, not the cluster.
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
//! The [`NodeTable`] holds per-node data in flat arrays (computed class and node class ids,
//! capacity, reserved ports) and node attributes and meta as sorted runs of interned ids. The
//! [`ClusterView`] adds usage arrays and per-node allocation lists carrying job and group ids.
//! A stack visits candidates from a flat array that carries each node's class ids, so a node the
//! class cache rules out costs a few loads. Constraint results are remembered per value,
//! property values and affinity scores per node or class, metrics count by dense ids, and
//! strings are built only for the chosen node and for `metrics()`.

mod checks;
mod class;
mod constraint;
pub(crate) mod hash;
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
pub use drover_state::usage::NodeUsage;
pub use net::parse_port_ranges;
pub use rank::{SchedulerAlgorithm, SpareFits};
pub use rng::shuffle_seed;
pub use stack::{GenericStack, RankedNode, SelectOptions, StackConfig, SystemStack};
pub use table::{NodeTable, node_capacity};
pub use view::{ClusterView, KeptUsage, SpareStates};
