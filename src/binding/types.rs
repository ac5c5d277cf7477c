//! JavaScript mirrors of the core's result types. Doc comments here become the
//! JSDoc of `index.d.ts`.

use napi_derive::napi;

use crate::locale::Locale;
use crate::present::result;
use crate::present::stats;
use crate::step::Step;
use crate::tracker::watch;

/// A step's name and its display name.
#[napi(object)]
#[derive(serde::Serialize)]
pub struct StepRef {
    /// One of the seven step names, e.g. `execute_task`.
    #[napi(ts_type = "StepName")]
    pub step: String,
    /// Display name in the requested locale, e.g. `AI実行`.
    pub display: String,
}

/// One step of the attempt's timeline.
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
pub struct StepReport {
    #[napi(ts_type = "StepName")]
    pub step: String,
    pub display: String,
    /// `pending`, `in_progress`, `completed`, `skipped` or `failed`.
    #[napi(ts_type = "'pending' | 'in_progress' | 'completed' | 'skipped' | 'failed'")]
    pub status: String,
    /// When the step began (RFC 3339 with offset).
    pub started_at: Option<String>,
    /// When it ended (RFC 3339 with offset); null while in progress.
    pub ended_at: Option<String>,
    /// How long it took; for the step in progress, the time elapsed so far.
    pub duration_ms: Option<i64>,
}

/// Which pipeline step a task is in (SPEC §6). `current_step`-style snake_case
/// names of the seed become camelCase here; the CLI's JSON keeps snake_case.
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
pub struct ExecutionStepInfo {
    pub project_id: String,
    pub task_id: String,
    pub order_id: Option<String>,
    /// The step the task is in; null when it is not running.
    #[napi(ts_type = "StepName")]
    pub current_step: Option<String>,
    /// Display name of the step, or `実行中でない` / `Not running`.
    pub current_step_display: String,
    /// 0-based index of the step; -1 when not running.
    pub step_index: i32,
    /// Always 7.
    pub total_steps: u32,
    /// `floor((stepIndex + 1) * 100 / 7)` while running; see the README for other statuses.
    pub progress_percent: u32,
    /// The task's status (`IN_PROGRESS`, `REWORK`, …); null when the task was not found.
    pub status: Option<String>,
    pub assignee: Option<String>,
    /// When the current (or latest) attempt began (RFC 3339 with offset).
    pub started_at: Option<String>,
    /// The latest time any evidence about the task changed (RFC 3339 with offset).
    pub last_updated: Option<String>,
    /// Verbose only: the steps before `stepIndex`.
    pub completed_steps: Option<Vec<StepRef>>,
    /// The failure message of the run, or `タスクが見つかりません: <id>` for a missing task.
    pub error: Option<String>,
    /// Which evidence the answer rests on.
    #[napi(ts_type = "'recorded' | 'log' | 'history' | 'status'")]
    pub source: Option<String>,
    /// The step the latest attempt failed in.
    #[napi(ts_type = "StepName")]
    pub failed_step: Option<String>,
    /// Where a retry should resume.
    #[napi(ts_type = "StepName")]
    pub resume_from: Option<String>,
    /// Verbose only: all seven steps of the current (or latest) attempt.
    pub steps: Option<Vec<StepReport>>,
}

impl From<result::ExecutionStepInfo> for ExecutionStepInfo {
    fn from(r: result::ExecutionStepInfo) -> Self {
        ExecutionStepInfo {
            project_id: r.project_id,
            task_id: r.task_id,
            order_id: r.order_id,
            current_step: r.current_step.map(|s| s.name().to_owned()),
            current_step_display: r.current_step_display.to_owned(),
            step_index: r.step_index,
            total_steps: r.total_steps,
            progress_percent: r.progress_percent,
            status: r.status,
            assignee: r.assignee,
            started_at: r.started_at,
            last_updated: r.last_updated,
            completed_steps: r.completed_steps.map(|steps| {
                steps
                    .into_iter()
                    .map(|s| StepRef {
                        step: s.step.name().to_owned(),
                        display: s.display.to_owned(),
                    })
                    .collect()
            }),
            error: r.error,
            source: r.source.map(|s| s.name().to_owned()),
            failed_step: r.failed_step.map(|s| s.name().to_owned()),
            resume_from: r.resume_from.map(|s| s.name().to_owned()),
            steps: r.steps.map(|steps| {
                steps
                    .into_iter()
                    .map(|s| StepReport {
                        step: s.step.name().to_owned(),
                        display: s.display.to_owned(),
                        status: s.status.name().to_owned(),
                        started_at: s.started_at,
                        ended_at: s.ended_at,
                        duration_ms: s.duration_ms.map(|d| d.min(i64::MAX as u64) as i64),
                    })
                    .collect()
            }),
        }
    }
}

/// A run that was slow in a step.
#[napi(object)]
pub struct SlowRun {
    pub task_id: String,
    pub duration_ms: f64,
}

/// Duration statistics of one step over the finished steps of many runs.
#[napi(object)]
pub struct StepDurationStats {
    #[napi(ts_type = "StepName")]
    pub step: String,
    pub display: String,
    /// How many runs finished this step.
    pub count: u32,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// The slowest runs, slowest first (at most five).
    pub slowest: Vec<SlowRun>,
}

impl From<stats::StepDurationStats> for StepDurationStats {
    fn from(s: stats::StepDurationStats) -> Self {
        StepDurationStats {
            step: s.step.name().to_owned(),
            display: s.display.to_owned(),
            count: s.count,
            mean_ms: s.mean_ms as f64,
            p50_ms: s.p50_ms as f64,
            p95_ms: s.p95_ms as f64,
            max_ms: s.max_ms as f64,
            slowest: s
                .slowest
                .into_iter()
                .map(|r| SlowRun {
                    task_id: r.task_id,
                    duration_ms: r.duration_ms as f64,
                })
                .collect(),
        }
    }
}

/// One of the seven steps with its display names.
#[napi(object, object_from_js = false)]
#[derive(Copy, Clone)]
pub struct StepDefinition {
    /// 0-based position in the pipeline.
    pub index: u32,
    #[napi(ts_type = "StepName")]
    pub step: &'static str,
    /// Japanese display name, e.g. `AI実行`.
    pub display: &'static str,
    /// English display name, e.g. `Run AI`.
    pub display_en: &'static str,
    /// Progress while the task is in this step.
    pub progress_percent: u32,
}

impl StepDefinition {
    /// `step`'s definition, from the one table of steps (`src/step.rs`).
    pub const fn of(step: Step) -> StepDefinition {
        StepDefinition {
            index: step.index() as u32,
            step: step.name(),
            display: step.display(Locale::Ja),
            display_en: step.display(Locale::En),
            progress_percent: step.progress_percent(),
        }
    }
}

/// A task whose step information changed.
#[napi(object, use_nullable = true)]
pub struct ExecutionStepChange {
    pub project_id: String,
    pub task_id: String,
    /// What the listener was told before; null the first time the task is seen.
    pub previous: Option<ExecutionStepInfo>,
    pub current: ExecutionStepInfo,
}

impl From<watch::ExecutionStepChange> for ExecutionStepChange {
    fn from(c: watch::ExecutionStepChange) -> Self {
        ExecutionStepChange {
            project_id: c.project_id,
            task_id: c.task_id,
            previous: c.previous.map(Into::into),
            current: c.current.into(),
        }
    }
}
