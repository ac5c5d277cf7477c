//! `getOrderProgress`: an ORDER's tasks by state, its step-weighted progress
//! and the expected end of its running runs — what a desktop shows on its
//! taskbar for the whole ORDER.

use serde::Serialize;

use crate::decision::Decision;
use crate::estimate::Estimate;
use crate::status::{StatusClass, TaskStatus};
use crate::step::TOTAL_STEPS;
use crate::time::Zone;

/// An ORDER's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderProgress {
    pub project_id: String,
    pub order_id: String,
    /// Its tasks, every status.
    pub total: u32,
    /// Running: a worker run, a rework run or a review going.
    pub running: u32,
    /// Waiting to run: QUEUED, BLOCKED, REWORK not running.
    pub waiting: u32,
    /// Through the pipeline: DONE (not under review), IN_REVIEW, COMPLETED.
    pub finished: u32,
    /// Stopped part-way: INTERRUPTED, ESCALATED, WAITING_INPUT.
    pub stopped: u32,
    /// Out of the ORDER: CANCELLED, SKIPPED, REJECTED, and statuses this package does not know.
    pub inactive: u32,
    /// Tasks whose latest run failed (running with an error, or stopped by one).
    pub failed: u32,
    /// Each counted task's reached steps over seven (a finished task counts
    /// seven), over every task but the inactive ones; 100 for an ORDER with none.
    pub percent: u32,
    /// When the runs going now are expected to end: the latest of their
    /// estimates; null when none runs, or one of them has no estimate yet.
    /// Tasks still waiting are not in it (`waiting` says how many).
    pub expected_end_at: Option<String>,
}

/// The progress of an ORDER whose tasks were decided as `tasks` (with their estimates).
pub fn order_progress<'a>(
    project_id: &str,
    order_id: &str,
    tasks: impl IntoIterator<Item = (&'a str, &'a Decision, Option<&'a Estimate>)>,
    zone: Zone,
) -> OrderProgress {
    let mut p = OrderProgress {
        project_id: project_id.into(),
        order_id: order_id.into(),
        total: 0,
        running: 0,
        waiting: 0,
        finished: 0,
        stopped: 0,
        inactive: 0,
        failed: 0,
        percent: 100,
        expected_end_at: None,
    };
    let (mut reached, mut counted) = (0u64, 0u64);
    let mut ends = Some(Vec::new());
    for (status, decision, eta) in tasks {
        p.total += 1;
        p.failed += u32::from(decision.failure_is_error);
        let class = TaskStatus::parse(status).class();
        let steps = if decision.running {
            p.running += 1;
            match (eta, ends.as_mut()) {
                (Some(e), Some(ends)) => ends.push(e.expected_end_at),
                _ => ends = None,
            }
            decision.current_step.map_or(0, |s| s.index() + 1)
        } else {
            match class {
                StatusClass::Finished => {
                    p.finished += 1;
                    TOTAL_STEPS
                }
                StatusClass::Stopped => {
                    p.stopped += 1;
                    // The steps reached: progress is floor(steps × 100 / 7), so this is exact.
                    (decision.progress_percent as usize * TOTAL_STEPS).div_ceil(100)
                }
                StatusClass::Inactive => {
                    p.inactive += 1;
                    continue;
                }
                _ => {
                    p.waiting += 1;
                    0
                }
            }
        };
        reached += steps as u64;
        counted += TOTAL_STEPS as u64;
    }
    if let Some(percent) = (reached * 100).checked_div(counted) {
        p.percent = percent as u32;
    }
    p.expected_end_at = ends
        .filter(|e| !e.is_empty())
        .and_then(|e| e.into_iter().max())
        .map(|t| zone.format(chrono::SubsecRound::round_subsecs(t, 0)));
    p
}
