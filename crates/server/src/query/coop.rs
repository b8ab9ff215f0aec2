//! Every operator's output yields to the query runtime now and then, so an aborted query stops.
//!
//! A query is stopped (timeout, its client gone) by aborting its task, and an abort takes effect
//! only when the task yields. DataFusion's own `EnsureCooperative` makes only the leaves consume
//! Tokio's scheduling budget, which is not enough for operators that produce many batches per
//! input batch: a cross join over two `range(1000000)` emits a million batches per batch of its
//! right side, so the aggregate above it never waits and the task ran on for hours after its
//! timeout. Wrapping each operator's output in a [`CooperativeExec`] spends one unit of budget per
//! batch there too (a counter check per batch of 8,192 rows).
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::{ChildrenPropertiesMode, ExecutionPlan, ReplaceChildrenOptions};
use std::sync::Arc;

/// The physical optimizer rule, run after DataFusion's own.
#[derive(Debug, Default)]
pub struct YieldEverywhere;

impl PhysicalOptimizerRule for YieldEverywhere {
    fn name(&self) -> &str {
        "YieldEverywhere"
    }

    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Each operator reads its inputs through a `CooperativeExec` (leaves are DataFusion's
        // business); an input already wrapped is left as it is, so the rule can run twice.
        plan.transform_up(|node| {
            let children = node.children();
            let bare =
                |c: &Arc<dyn ExecutionPlan>| !c.is::<CooperativeExec>() && !c.children().is_empty();
            if node.is::<CooperativeExec>() || !children.iter().any(|c| bare(c)) {
                return Ok(Transformed::no(node));
            }
            let wrapped = children
                .into_iter()
                .map(|c| {
                    if bare(c) {
                        Arc::new(CooperativeExec::new(Arc::clone(c))) as Arc<dyn ExecutionPlan>
                    } else {
                        Arc::clone(c)
                    }
                })
                .collect();
            let options = ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);
            Ok(Transformed::yes(node.replace_children(wrapped, options)?))
        })
        .map(|t| t.data)
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn every_operator_is_wrapped_once() {
        let ctx = SessionContext::new();
        let plan = ctx
            .sql("SELECT count(*) FROM range(10) a, range(10) b")
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let rule = YieldEverywhere;
        let once = rule.optimize(plan, &ConfigOptions::default()).unwrap();
        let twice = rule
            .optimize(once.clone(), &ConfigOptions::default())
            .unwrap();
        let shown = |p: &Arc<dyn ExecutionPlan>| {
            datafusion::physical_plan::displayable(p.as_ref())
                .indent(false)
                .to_string()
        };
        assert_eq!(
            shown(&once),
            shown(&twice),
            "wrapping again changes nothing"
        );
        let text = shown(&once);
        let joins = text.lines().filter(|l| l.contains("CrossJoinExec")).count();
        assert_eq!(joins, 1, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let join = lines
            .iter()
            .position(|l| l.contains("CrossJoinExec"))
            .unwrap();
        assert!(
            lines[join - 1].contains("CooperativeExec"),
            "the join's output yields:\n{text}"
        );
    }
}
