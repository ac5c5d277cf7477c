//! Live updates (the seed's extension 2): each tick evaluates the watched
//! tasks through the tracker — which reads only what changed, and keeps every
//! decision whose evidence did not move — and reports only the tasks whose
//! information changed. A tick on which nothing moved reads no database
//! rows, parses no log and builds no result. A watcher of one ORDER also
//! reports the ORDER's progress whenever it moved.

use std::collections::HashMap;
use std::sync::Arc;

use super::{check_id, Access, BatchFilter, Evaluated, StepTracker};
use crate::decision::timeline::StepStatus;
use crate::decision::Decision;
use crate::error::{Error, Result};
use crate::estimate::Estimate;
use crate::evidence::TaskRow;
use crate::present::order::OrderProgress;
use crate::present::result::{ExecutionStepInfo, Presentation};
use crate::time::Clock;

/// What a watcher follows.
#[derive(Clone, Debug)]
pub struct WatchSpec {
    pub project_id: String,
    pub filter: BatchFilter,
    pub source: Access,
    pub presentation: Presentation,
}

/// One task whose step information changed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStepChange {
    pub project_id: String,
    pub task_id: String,
    /// What was reported before; `None` the first time the task is seen.
    pub previous: Option<ExecutionStepInfo>,
    pub current: ExecutionStepInfo,
}

/// The outcome of one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tick {
    /// Nothing changed, or nothing that shows.
    Quiet,
    /// Tasks whose information changed (none when only the ORDER's progress
    /// moved), and the ORDER's progress when the watcher follows an ORDER.
    Changes(Vec<ExecutionStepChange>, Option<OrderProgress>),
    /// Reading failed in a new way (the same failure is reported once).
    Failed(Error),
}

/// What was last reported about a task.
struct Reported {
    task: Arc<TaskRow>,
    decision: Arc<Decision>,
    eta: Option<Estimate>,
    info: ExecutionStepInfo,
}

/// A watcher's state between ticks.
pub struct Watch {
    spec: WatchSpec,
    reported: HashMap<String, Reported>,
    /// The ORDER's progress reported last (a watcher of one ORDER).
    order: Option<OrderProgress>,
    /// The failure reported last, so it is not repeated every tick.
    failing: Option<Error>,
}

impl Watch {
    pub fn new(spec: WatchSpec, tracker: &StepTracker) -> Result<Watch> {
        // Refused now, like every other entry point, not on the first tick.
        check_id("projectId", &spec.project_id)?;
        for id in spec.filter.task_ids.iter().flatten() {
            check_id("taskIds[]", id)?;
        }
        tracker.locate(&spec.source)?;
        Ok(Watch {
            spec,
            reported: HashMap::new(),
            order: None,
            failing: None,
        })
    }

    /// Looks for changes.
    pub fn tick(&mut self, tracker: &StepTracker, clock: &Clock) -> Tick {
        match self
            .changes(tracker, clock)
            .and_then(|c| Ok((c, self.order_moved(tracker, clock)?)))
        {
            Ok((changes, moved)) => {
                self.failing = None;
                if changes.is_empty() && !moved {
                    Tick::Quiet
                } else {
                    Tick::Changes(changes, self.order.clone())
                }
            }
            Err(e) if self.failing.as_ref() == Some(&e) => Tick::Quiet,
            Err(e) => {
                self.failing = Some(e.clone());
                Tick::Failed(e)
            }
        }
    }

    fn changes(&mut self, tracker: &StepTracker, clock: &Clock) -> Result<Vec<ExecutionStepChange>> {
        let spec = &self.spec;
        let mut evaluated = tracker.evaluate_batch(&spec.project_id, &spec.filter, &spec.source, clock)?;
        // Tasks that left the selection get one last report with their final state.
        let departed: Vec<String> = self
            .reported
            .keys()
            .filter(|id| !evaluated.iter().any(|e| &e.task.id == *id))
            .cloned()
            .collect();
        let mut gone = Vec::new();
        if !departed.is_empty() {
            let filter = BatchFilter {
                task_ids: Some(departed.clone()),
                ..BatchFilter::default()
            };
            let finals = tracker.evaluate_batch(&spec.project_id, &filter, &spec.source, clock)?;
            gone = departed
                .iter()
                .filter(|id| !finals.iter().any(|f| &f.task.id == *id))
                .cloned()
                .collect();
            evaluated.extend(finals);
        }

        let mut changes = Vec::new();
        for Evaluated { task, decision, eta } in evaluated {
            let previous = self.reported.get(&task.id);
            if previous.is_some_and(|p| Arc::ptr_eq(&p.decision, &decision) && p.task == task && p.eta == eta) {
                continue; // the same evidence and estimate: the same answer
            }
            let info = ExecutionStepInfo::new(&task, &decision, eta.as_ref(), spec.presentation, clock);
            if previous.is_some_and(|p| without_elapsed(&p.info) == without_elapsed(&info)) {
                let reported = self.reported.get_mut(&task.id).expect("just looked up");
                (reported.task, reported.decision, reported.eta) = (task, decision, eta);
                continue;
            }
            changes.push(ExecutionStepChange {
                project_id: spec.project_id.clone(),
                task_id: task.id.clone(),
                previous: previous.map(|p| p.info.clone()),
                current: info.clone(),
            });
            self.reported.insert(
                task.id.clone(),
                Reported {
                    task,
                    decision,
                    eta,
                    info,
                },
            );
        }
        for id in gone {
            if let Some(previous) = self.reported.remove(&id) {
                let current = ExecutionStepInfo::not_found(&spec.project_id, &id, spec.presentation);
                changes.push(ExecutionStepChange {
                    project_id: spec.project_id.clone(),
                    task_id: id,
                    previous: Some(previous.info),
                    current,
                });
            }
        }
        for id in &departed {
            self.reported.remove(id);
        }
        Ok(changes)
    }

    /// Brings the followed ORDER's progress up to date: whether it moved.
    fn order_moved(&mut self, tracker: &StepTracker, clock: &Clock) -> Result<bool> {
        let Some(order_id) = &self.spec.filter.order_id else {
            return Ok(false);
        };
        let progress = tracker.order_progress(&self.spec.project_id, order_id, &self.spec.source, clock)?;
        let moved = self.order.as_ref() != Some(&progress);
        self.order = Some(progress);
        Ok(moved)
    }
}

/// A result without what changes by itself: the in-progress step's growing duration.
fn without_elapsed(info: &ExecutionStepInfo) -> ExecutionStepInfo {
    let mut info = info.clone();
    for step in info.steps.iter_mut().flatten() {
        if step.status == StepStatus::InProgress {
            step.duration_ms = None;
        }
    }
    info
}
