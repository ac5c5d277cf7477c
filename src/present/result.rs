//! The result object (docs/behaviour.md, "The result"): a task's decided state shown in a locale, at
//! a moment. Its serde shape is the one definition of what JavaScript gets
//! (camelCase; the binding sends it as it serializes); the CLI's JSON is the
//! same with the seed's snake_case keys (`present::json`). Its TypeScript
//! declaration is `ExecutionStepInfo` in `src/binding/header.d.ts`.

use serde::Serialize;

use crate::decision::timeline::StepStatus;
use crate::decision::{Decision, Source};
use crate::estimate::Estimate;
use crate::evidence::TaskRow;
use crate::locale::Locale;
use crate::step::{Step, TOTAL_STEPS};
use crate::time::{elapsed_ms, Clock};

/// A step's name and display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRef {
    pub step: Step,
    pub display: &'static str,
}

/// One step of the attempt's timeline (verbose `steps`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    pub step: Step,
    pub display: &'static str,
    pub status: StepStatus,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// For the step in progress: the time elapsed so far.
    #[serde(serialize_with = "crate::present::json::optional_number")]
    pub duration_ms: Option<u64>,
}

/// Which step a task is in, and what is known about its run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStepInfo {
    pub project_id: String,
    pub task_id: String,
    pub order_id: Option<String>,
    pub current_step: Option<Step>,
    pub current_step_display: &'static str,
    pub step_index: i32,
    pub total_steps: u32,
    pub progress_percent: u32,
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub started_at: Option<String>,
    pub last_updated: Option<String>,
    pub completed_steps: Option<Vec<StepRef>>,
    pub error: Option<String>,
    pub source: Option<Source>,
    pub failed_step: Option<Step>,
    pub resume_from: Option<Step>,
    pub steps: Option<Vec<StepReport>>,
    /// When the running run is expected to end; `None` when not running, or
    /// while the project has too few finished runs of its kind.
    pub eta: Option<Eta>,
}

/// When a running run is expected to end (RFC 3339 instants with offset).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Eta {
    pub expected_end_at: String,
    pub low_at: String,
    pub high_at: String,
    pub basis_runs: u32,
    pub overdue: bool,
}

impl Eta {
    fn of(estimate: &Estimate, zone: crate::time::Zone) -> Eta {
        // To the second: an estimate is not finer than that.
        let at = |t: crate::time::Instant| zone.format(chrono::SubsecRound::round_subsecs(t, 0));
        Eta {
            expected_end_at: at(estimate.expected_end_at),
            low_at: at(estimate.low_at),
            high_at: at(estimate.high_at),
            basis_runs: estimate.basis_runs.min(u32::MAX as usize) as u32,
            overdue: estimate.overdue,
        }
    }
}

/// How to show results.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Presentation {
    pub locale: Locale,
    pub verbose: bool,
}

impl ExecutionStepInfo {
    /// The seed's result for a task id that does not exist in the project.
    pub fn not_found(project_id: &str, task_id: &str, presentation: Presentation) -> ExecutionStepInfo {
        let locale = presentation.locale;
        ExecutionStepInfo {
            project_id: project_id.to_owned(),
            task_id: task_id.to_owned(),
            order_id: None,
            current_step: None,
            current_step_display: locale.not_running(),
            step_index: -1,
            total_steps: TOTAL_STEPS as u32,
            progress_percent: 0,
            status: None,
            assignee: None,
            started_at: None,
            last_updated: None,
            completed_steps: presentation.verbose.then(Vec::new),
            error: Some(locale.task_not_found(task_id)),
            source: None,
            failed_step: None,
            resume_from: None,
            steps: None,
            eta: None,
        }
    }

    /// The result for `task` as `decision` decided it, with the estimate of its
    /// run's end, shown at `clock.now`.
    pub fn new(
        task: &TaskRow,
        decision: &Decision,
        eta: Option<&Estimate>,
        presentation: Presentation,
        clock: &Clock,
    ) -> ExecutionStepInfo {
        let locale = presentation.locale;
        let current = decision.current_step;
        let format = |t| clock.zone.format(t);
        let completed_steps = presentation.verbose.then(|| {
            let before = current.map_or(0, Step::index);
            Step::ALL[..before]
                .iter()
                .map(|&step| StepRef {
                    step,
                    display: step.display(locale),
                })
                .collect()
        });
        let steps = presentation.verbose.then(|| {
            decision
                .timeline
                .iter()
                .map(|span| StepReport {
                    step: span.step,
                    display: span.step.display(locale),
                    status: span.status,
                    started_at: span.started_at.map(format),
                    ended_at: span.ended_at.map(format),
                    duration_ms: match span.status {
                        StepStatus::InProgress => span.started_at.map(|s| elapsed_ms(s, clock.now)),
                        _ => span.duration_ms,
                    },
                })
                .collect()
        });
        ExecutionStepInfo {
            project_id: task.project_id.clone(),
            task_id: task.id.clone(),
            order_id: task.order_id.clone(),
            current_step: current,
            current_step_display: current.map_or(locale.not_running(), |s| s.display(locale)),
            step_index: current.map_or(-1, |s| s.index() as i32),
            total_steps: TOTAL_STEPS as u32,
            progress_percent: decision.progress_percent,
            status: Some(task.status.clone()),
            assignee: task.assignee.clone(),
            started_at: decision.started_at.map(format),
            last_updated: decision.last_updated.map(format),
            completed_steps,
            error: decision
                .failure
                .as_ref()
                .filter(|_| decision.failure_is_error)
                .map(|f| f.message.clone()),
            source: Some(decision.source),
            failed_step: decision.failure.as_ref().map(|f| f.step),
            resume_from: decision.resume_from,
            steps,
            eta: eta.filter(|_| decision.running).map(|e| Eta::of(e, clock.zone)),
        }
    }
}
