//! The result object (SPEC §6), in the seed's snake_case spelling for JSON.

use serde::Serialize;

use crate::db::read::TaskRow;
use crate::inference::Inference;
use crate::locale::Locale;
use crate::status::StatusClass;
use crate::steps::{Step, TOTAL_STEPS};
use crate::time::Clock;
use crate::timeline::{Outcome, StepStatus};

/// A step's name and display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepRef {
    pub step: &'static str,
    pub display: &'static str,
}

/// One step of the attempt's timeline (verbose `steps`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub step: &'static str,
    pub display: &'static str,
    /// pending, in_progress, completed, skipped or failed.
    pub status: &'static str,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub duration_ms: Option<u64>,
}

/// Which step a task is in, and what is known about its run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExecutionStepInfo {
    pub project_id: String,
    pub task_id: String,
    pub order_id: Option<String>,
    pub current_step: Option<&'static str>,
    pub current_step_display: String,
    pub step_index: i32,
    pub total_steps: u32,
    pub progress_percent: u32,
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub started_at: Option<String>,
    pub last_updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_steps: Option<Vec<StepRef>>,
    pub error: Option<String>,
    pub source: Option<&'static str>,
    pub failed_step: Option<&'static str>,
    pub resume_from: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepReport>>,
}

/// Output shape options.
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
            current_step_display: locale.not_running().to_owned(),
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
        }
    }

    /// The result for a task from what was inferred about it.
    pub fn build(
        task: &TaskRow,
        inference: &Inference,
        presentation: Presentation,
        clock: &Clock,
    ) -> ExecutionStepInfo {
        let locale = presentation.locale;
        let run = inference.run.as_ref();
        let reached = run.and_then(|r| r.current());
        let current = if inference.running {
            reached.or(Some(Step::GetTaskInfo))
        } else {
            None
        };
        let failure = run.and_then(|r| match r.outcome() {
            Outcome::Failed { step, message, .. } => Some((*step, message.as_str())),
            _ => None,
        });
        let unfinished = run.is_some_and(|r| !r.is_terminated());
        let progress_percent = match (current, inference.class) {
            (Some(step), _) => step.progress_percent(),
            (None, StatusClass::Finished) => 100,
            (None, StatusClass::Stopped) => reached.map_or(0, Step::progress_percent),
            (None, _) => 0,
        };
        let error = failure
            .filter(|_| inference.running || inference.class == StatusClass::Stopped)
            .map(|(_, message)| message.to_owned());
        let resume_from = match failure {
            Some((step, _)) => Some(step),
            None if !inference.running && inference.class != StatusClass::Finished && unfinished => reached,
            None => None,
        };
        let format = |t| clock.zone.format(t);

        let completed_steps = presentation.verbose.then(|| {
            let before = current.map_or(0, Step::index);
            Step::ALL[..before]
                .iter()
                .map(|s| StepRef {
                    step: s.name(),
                    display: s.display(locale),
                })
                .collect()
        });
        let steps = presentation.verbose.then(|| match run {
            Some(run) => run
                .spans(inference.ending, clock.now)
                .into_iter()
                .map(|span| StepReport {
                    step: span.step.name(),
                    display: span.step.display(locale),
                    status: span.status.as_str(),
                    started_at: span.started_at.map(format),
                    ended_at: span.ended_at.map(format),
                    duration_ms: span.duration_ms,
                })
                .collect(),
            None => {
                let status = if inference.class == StatusClass::Finished {
                    StepStatus::Completed
                } else {
                    StepStatus::Pending
                };
                Step::ALL
                    .iter()
                    .map(|s| StepReport {
                        step: s.name(),
                        display: s.display(locale),
                        status: status.as_str(),
                        started_at: None,
                        ended_at: None,
                        duration_ms: None,
                    })
                    .collect()
            }
        });

        ExecutionStepInfo {
            project_id: task.project_id.clone(),
            task_id: task.id.clone(),
            order_id: task.order_id.clone(),
            current_step: current.map(Step::name),
            current_step_display: current
                .map_or_else(|| locale.not_running().to_owned(), |s| s.display(locale).to_owned()),
            step_index: current.map_or(-1, |s| s.index() as i32),
            total_steps: TOTAL_STEPS as u32,
            progress_percent,
            status: Some(task.status.clone()),
            assignee: task.assignee.clone(),
            started_at: inference.started_at.map(format),
            last_updated: inference.last_updated.map(format),
            completed_steps,
            error,
            source: Some(inference.source.as_str()),
            failed_step: failure.map(|(s, _)| s.name()),
            resume_from: resume_from.map(Step::name),
            steps,
        }
    }
}
