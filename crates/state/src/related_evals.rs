//! The evaluations related to one: those it names as next, previous or blocked evaluation, and
//! theirs in turn (Nomad's `EvalsRelatedToID`, for `GET /v1/evaluation/:id?related=true`).

use std::collections::HashSet;

use drover_model::EvaluationStub;

use crate::snapshot::Snapshot;

impl Snapshot {
    /// Stubs of the evaluations reachable from `eval_id` through next, previous and blocked
    /// links, breadth first, without `eval_id` itself; empty when it is unknown. Links to
    /// evaluations no longer stored are skipped.
    pub fn evals_related_to(&self, eval_id: &str) -> Vec<EvaluationStub> {
        let Some(eval) = self.eval(eval_id) else {
            return Vec::new();
        };
        let mut seen = HashSet::from([eval.id.to_string()]);
        let mut todo: Vec<String> = eval.related_ids().map(str::to_owned).collect();
        let mut related = Vec::new();
        let mut next = 0;
        while let Some(id) = todo.get(next) {
            next += 1;
            if !seen.insert(id.clone()) {
                continue;
            }
            if let Some(eval) = self.eval(id) {
                todo.extend(eval.related_ids().map(str::to_owned));
                related.push(eval.stub());
            }
        }
        related
    }
}
