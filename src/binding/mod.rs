//! The Node-API binding: validates arguments, converts types, runs work off
//! the JavaScript thread and maps errors. Every function here is a thin door
//! onto [`crate::tracker::StepTracker`]; each async function has a `…Sync` twin
//! that calls the same `…_impl`.
//!
//! Every entry point takes one argument more than its typings show: the
//! calling context's `process.env`, which the package's `index.js` passes (so
//! a Jest sandbox's or a worker thread's own environment decides the default
//! paths: docs/behaviour.md, "The JavaScript API"). Called without it, the global `process.env` of the
//! context the addon was loaded in is read.

mod arguments;
mod environment;
mod errors;
mod options;
mod types;
mod watcher;

use std::sync::LazyLock;

use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;

use crate::error::Result as CoreResult;
use crate::estimate::calibration::Calibration;
use crate::present::format::{format_display, DisplayFields};
use crate::present::order::OrderProgress;
use crate::present::result::{self, Presentation};
use crate::present::stats::StepDurationStats;
use crate::step::{Step, TOTAL_STEPS};
use crate::time::Clock;
use crate::tracker::{Access, BatchFilter, StatsFilter, StepTracker};
use arguments::{string_arg, Options};
use environment::caller_environment;
use errors::{guarded, guarded_js, js_error};
use options::{BatchOptions, PathOptions, QueryOptions, RecordOptions, StatsOptions};
pub use types::{Js, StepDefinition};

/// One tracker per process: its connections and parsed logs serve every call.
static TRACKER: LazyLock<StepTracker> = LazyLock::new(StepTracker::new);

/// The seven steps of the pipeline, in order, with their display names.
#[napi(js_name = "EXECUTION_STEPS")]
pub const EXECUTION_STEPS: [StepDefinition; TOTAL_STEPS] = {
    let mut all = [StepDefinition::of(Step::GetTaskInfo); TOTAL_STEPS];
    let mut i = 0;
    while i < TOTAL_STEPS {
        all[i] = StepDefinition::of(Step::ALL[i]);
        i += 1;
    }
    all
};

/// A `Task` whose input was validated on the JS thread (or failed to be) and
/// whose work runs on the libuv pool, panics caught.
pub struct Job<I: Send, O: Send> {
    input: Option<CoreResult<I>>,
    work: fn(I) -> CoreResult<O>,
}

impl<I: Send, O: Send> Job<I, O> {
    fn new(input: CoreResult<I>, work: fn(I) -> CoreResult<O>) -> Self {
        Job {
            input: Some(input),
            work,
        }
    }

    fn run(&mut self) -> CoreResult<O> {
        let input = self.input.take().expect("a job runs once");
        guarded(|| (self.work)(input?))
    }
}

macro_rules! job_task {
    ($name:ident, $input:ty, $output:ty, $js:ty, |$env:ident, $out:ident| $resolve:expr) => {
        /// Background work of the function of the same name.
        pub struct $name(Job<$input, $output>);

        #[napi]
        impl Task for $name {
            type Output = CoreResult<$output>;
            type JsValue = $js;

            fn compute(&mut self) -> Result<Self::Output> {
                Ok(self.0.run())
            }

            fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
                let $env = env;
                guarded_js(&$env, || match output {
                    Ok($out) => $resolve,
                    Err(e) => Err(js_error(&$env, e)),
                })
            }
        }
    };
}

/// An async function and its `…Sync` twin over one piece of work: the
/// arguments checked on the JS thread by `$query`, then `$work` on the libuv
/// pool (async) or right away (sync), its result converted by `Js`. (Docs are
/// given as `#[doc = "…"]`: napi-rs reads raw-string doc attributes, which
/// `///` becomes inside a macro, with their `r"` into the typings.)
macro_rules! twins {
    (
        $(#[$doc:meta])*
        $name:ident / $sync_name:ident ($($arg:ident),*)
            via $query:ident($input:ty) => $work:ident -> $output:ty,
        task $task:ident,
        ts_args $ts_args:literal,
        returns $ts_async:literal / $ts_sync:literal,
        sync_doc $sync_doc:literal $(,)?
    ) => {
        job_task!($task, $input, $output, Js<$output>, |env, out| Ok(Js(out)));

        $(#[$doc])*
        #[napi(catch_unwind, ts_args_type = $ts_args, ts_return_type = $ts_async)]
        pub fn $name(env: Env, $($arg: Option<Unknown<'_>>,)* caller_env: Option<Unknown<'_>>) -> AsyncTask<$task> {
            AsyncTask::new($task(Job::new(guarded(|| $query(&env, $($arg,)* caller_env)), $work)))
        }

        #[doc = $sync_doc]
        #[napi(catch_unwind, ts_args_type = $ts_args, ts_return_type = $ts_sync)]
        pub fn $sync_name(
            env: Env,
            $($arg: Option<Unknown<'_>>,)*
            caller_env: Option<Unknown<'_>>,
        ) -> Result<Js<$output>> {
            guarded(|| $query(&env, $($arg,)* caller_env).and_then($work))
                .map(Js)
                .map_err(|e| js_error(&env, e))
        }
    };
}

// ---------------------------------------------------------------- single task

/// A call's arguments, checked on the JS thread.
struct TaskQuery {
    project_id: String,
    task_id: String,
    source: Access,
    presentation: Presentation,
}

fn task_query(
    env: &Env,
    project_id: Option<Unknown<'_>>,
    task_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> CoreResult<TaskQuery> {
    let project_id = string_arg(project_id, "projectId")?;
    let task_id = string_arg(task_id, "taskId")?;
    let o = Options::new(env, options, "options")?;
    let q = QueryOptions::read(&o)?;
    Ok(TaskQuery {
        project_id,
        task_id,
        source: q.source(&o, caller_environment(env, caller_env))?,
        presentation: q.presentation(&o)?,
    })
}

fn task_step_impl(q: TaskQuery) -> CoreResult<result::ExecutionStepInfo> {
    TRACKER.task_step(&q.project_id, &q.task_id, &q.source, q.presentation, &Clock::system())
}

twins! {
    #[doc = " Which step the task `taskId` of project `projectId` is in. Runs off the JS"]
    #[doc = " thread. A task that does not exist resolves to"]
    #[doc = " `{ error: 'タスクが見つかりません: <id>', currentStep: null, stepIndex: -1, … }`;"]
    #[doc = " database failures reject with an `Error` whose `code` says what went wrong."]
    get_task_execution_step / get_task_execution_step_sync (project_id, task_id, options)
        via task_query(TaskQuery) => task_step_impl -> result::ExecutionStepInfo,
    task TaskStepTask,
    ts_args "projectId: string, taskId: string, options?: QueryOptions | undefined | null",
    returns "Promise<ExecutionStepInfo>" / "ExecutionStepInfo",
    sync_doc "`getTaskExecutionStep` on the calling thread.",
}

// ---------------------------------------------------------------------- batch

struct BatchQuery {
    project_id: String,
    filter: BatchFilter,
    source: Access,
    presentation: Presentation,
}

fn batch_query(
    env: &Env,
    project_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> CoreResult<BatchQuery> {
    let project_id = string_arg(project_id, "projectId")?;
    let o = Options::new(env, options, "options")?;
    let b = BatchOptions::read(&o)?;
    Ok(BatchQuery {
        project_id,
        filter: b.filter(),
        source: b.source(&o, caller_environment(env, caller_env))?,
        presentation: b.presentation(&o)?,
    })
}

fn tasks_steps_impl(q: BatchQuery) -> CoreResult<Vec<result::ExecutionStepInfo>> {
    TRACKER.tasks_steps(&q.project_id, &q.filter, &q.source, q.presentation, &Clock::system())
}

/// Results keyed by task id, in the order given (most recently updated first).
fn keyed_by_task<'env>(env: &'env Env, infos: Vec<result::ExecutionStepInfo>) -> Result<Object<'env>> {
    let mut object = Object::new(env)?;
    for info in infos {
        let key = info.task_id.clone();
        object.set_named_property(&key, Js(info))?;
    }
    Ok(object)
}

/// Background work of `getMultipleTasksExecutionSteps`.
pub struct TasksStepsTask(Job<BatchQuery, Vec<result::ExecutionStepInfo>>);

#[napi]
impl Task for TasksStepsTask {
    type Output = CoreResult<Vec<result::ExecutionStepInfo>>;
    type JsValue = Object<'static>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.0.run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        guarded_js(&env, || match output {
            // SAFETY: the object is returned to JS right away, within this env's scope.
            Ok(infos) => keyed_by_task(&env, infos).map(|o| Object::from_raw(env.raw(), o.raw())),
            Err(e) => Err(js_error(&env, e)),
        })
    }
}

/// Steps of many tasks of a project at once, keyed by task id, most recently
/// updated first. Without `taskIds` or `statusFilter`, the tasks IN_PROGRESS.
/// Runs a fixed number of SQL statements however many tasks there are.
#[napi(
    catch_unwind,
    ts_args_type = "projectId: string, options?: BatchOptions | undefined | null",
    ts_return_type = "Promise<Record<string, ExecutionStepInfo>>"
)]
pub fn get_multiple_tasks_execution_steps(
    env: Env,
    project_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> AsyncTask<TasksStepsTask> {
    AsyncTask::new(TasksStepsTask(Job::new(
        guarded(|| batch_query(&env, project_id, options, caller_env)),
        tasks_steps_impl,
    )))
}

/// `getMultipleTasksExecutionSteps` on the calling thread.
#[napi(
    catch_unwind,
    ts_args_type = "projectId: string, options?: BatchOptions | undefined | null",
    ts_return_type = "Record<string, ExecutionStepInfo>"
)]
pub fn get_multiple_tasks_execution_steps_sync<'env>(
    env: &'env Env,
    project_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> Result<Object<'env>> {
    let infos = guarded(|| batch_query(env, project_id, options, caller_env).and_then(tasks_steps_impl))
        .map_err(|e| js_error(env, e))?;
    keyed_by_task(env, infos)
}

// ---------------------------------------------------------------- statistics

struct StatsQuery {
    project_id: String,
    filter: StatsFilter,
    source: Access,
    presentation: Presentation,
}

fn stats_impl(q: StatsQuery) -> CoreResult<Vec<StepDurationStats>> {
    TRACKER.duration_stats(&q.project_id, &q.filter, &q.source, q.presentation, &Clock::system())
}

fn stats_query(
    env: &Env,
    project_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> CoreResult<StatsQuery> {
    let project_id = string_arg(project_id, "projectId")?;
    let o = Options::new(env, options, "options")?;
    let s = StatsOptions::read(&o)?;
    Ok(StatsQuery {
        project_id,
        filter: s.filter(&o, Clock::system().zone)?,
        source: s.source(&o, caller_environment(env, caller_env))?,
        presentation: s.presentation(&o)?,
    })
}

twins! {
    #[doc = " Per-step durations (count, mean, p50, p95, max and the slowest runs) over"]
    #[doc = " the finished steps of the project's (or one order's) runs — recorded"]
    #[doc = " events, worker logs, rework runs — and its reviews (`auto_review`). One"]
    #[doc = " entry per step, in pipeline order."]
    get_step_duration_stats / get_step_duration_stats_sync (project_id, options)
        via stats_query(StatsQuery) => stats_impl -> Vec<StepDurationStats>,
    task StatsTask,
    ts_args "projectId: string, options?: StatsOptions | undefined | null",
    returns "Promise<StepDurationStats[]>" / "StepDurationStats[]",
    sync_doc "`getStepDurationStats` on the calling thread.",
}

// ----------------------------------------------------------------- recording

/// Records that the worker reached a step (the strongest evidence, source
/// `recorded`). `step` is one of the seven steps or a worker-log sub-step;
/// `event` one of start, success, skip, info, warning, failed, complete. The
/// task must exist in the project. Creates the `task_step_events` table on
/// first use; writes nothing else. Safe beside the app's own SQLite in the same
/// process (its locks are this addon's own). Synchronous: one short transaction.
#[napi(
    catch_unwind,
    ts_args_type = "projectId: string, taskId: string, step: string, event: StepEventName, options?: RecordOptions | undefined | null"
)]
pub fn record_execution_step(
    env: Env,
    project_id: Option<Unknown<'_>>,
    task_id: Option<Unknown<'_>>,
    step: Option<Unknown<'_>>,
    event: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> Result<()> {
    guarded(|| {
        let project_id = string_arg(project_id, "projectId")?;
        let task_id = string_arg(task_id, "taskId")?;
        let step = string_arg(step, "step")?;
        let event = string_arg(event, "event")?;
        let o = Options::new(&env, options, "options")?;
        let r = RecordOptions::read(&o)?;
        let source = r.source(&o, caller_environment(&env, caller_env))?;
        TRACKER.record(
            &project_id,
            &task_id,
            &step,
            &event,
            r.detail.as_deref(),
            &source,
            &Clock::system(),
        )
    })
    .map_err(|e| js_error(&env, e))
}

// ------------------------------------------------------------------- orders

struct OrderQuery {
    project_id: String,
    order_id: String,
    source: Access,
}

fn order_query(
    env: &Env,
    project_id: Option<Unknown<'_>>,
    order_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> CoreResult<OrderQuery> {
    let project_id = string_arg(project_id, "projectId")?;
    let order_id = string_arg(order_id, "orderId")?;
    let o = Options::new(env, options, "options")?;
    let q = QueryOptions::read(&o)?;
    Ok(OrderQuery {
        project_id,
        order_id,
        source: q.source(&o, caller_environment(env, caller_env))?,
    })
}

fn order_progress_impl(q: OrderQuery) -> CoreResult<OrderProgress> {
    TRACKER.order_progress(&q.project_id, &q.order_id, &q.source, &Clock::system())
}

twins! {
    #[doc = " An ORDER's progress: its tasks by state, a step-weighted `percent` (each"]
    #[doc = " task's reached steps over seven; a finished task counts seven; cancelled,"]
    #[doc = " skipped and rejected tasks are left out) and the expected end of the runs"]
    #[doc = " going now. Runs off the JS thread."]
    get_order_progress / get_order_progress_sync (project_id, order_id, options)
        via order_query(OrderQuery) => order_progress_impl -> OrderProgress,
    task OrderProgressTask,
    ts_args "projectId: string, orderId: string, options?: QueryOptions | undefined | null",
    returns "Promise<OrderProgress>" / "OrderProgress",
    sync_doc "`getOrderProgress` on the calling thread.",
}

// --------------------------------------------------------------- estimates

fn calibration_impl(q: StatsQuery) -> CoreResult<Vec<Calibration>> {
    TRACKER.estimate_calibration(&q.project_id, &q.source, &Clock::system())
}

twins! {
    #[doc = " How well the estimate (`eta`) does on the project's own finished runs:"]
    #[doc = " each is left out and estimated from the others at the start of each of its"]
    #[doc = " steps (and part-way through its long steps), per kind of run with more"]
    #[doc = " than nine runs — the median error, that of the naive sum of the steps'"]
    #[doc = " medians beside it, and how often the band held the real end (meant: 80 %)."]
    get_estimate_calibration / get_estimate_calibration_sync (project_id, options)
        via stats_query(StatsQuery) => calibration_impl -> Vec<Calibration>,
    task CalibrationTask,
    ts_args "projectId: string, options?: StatsOptions | undefined | null",
    returns "Promise<EstimateCalibration[]>" / "EstimateCalibration[]",
    sync_doc "`getEstimateCalibration` on the calling thread.",
}

/// How long the running run of `info` has left, by its `eta`, at `now`
/// (default: now): `残り約3分`, `残り1分未満`, `予定超過`; English `about 3 min
/// left`, `less than a minute left`, `overdue`. An empty string without an
/// estimate (not running, or too little history yet).
#[napi(
    catch_unwind,
    ts_args_type = "info: ExecutionStepInfo, locale?: 'ja' | 'en' | undefined | null, now?: Date | number | undefined | null"
)]
pub fn format_remaining(
    env: Env,
    info: Option<Unknown<'_>>,
    locale: Option<Unknown<'_>>,
    now: Option<Unknown<'_>>,
) -> Result<String> {
    guarded(|| {
        let locale = arguments::locale_arg(locale, "locale")?;
        let now = arguments::time_arg(now, "now")?.unwrap_or_else(chrono::Utc::now);
        let info = arguments::info_arg(&env, info)?;
        // camelCase, or the CLI's snake_case JSON parsed.
        // Only an object is read as one (a conversion of null would throw).
        let eta = info
            .get::<Unknown<'_>>("eta")
            .ok()
            .flatten()
            .filter(|e| matches!(e.get_type(), Ok(ValueType::Object)))
            // SAFETY: checked to be an object of this env.
            .and_then(|e| unsafe { Object::from_napi_value(env.raw(), e.raw()) }.ok());
        let expected = eta
            .as_ref()
            .and_then(|e| {
                ["expectedEndAt", "expected_end_at"]
                    .iter()
                    .find_map(|k| e.get::<String>(k).ok().flatten())
            })
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.to_utc());
        let overdue = eta
            .as_ref()
            .and_then(|e| e.get::<bool>("overdue").ok().flatten())
            .unwrap_or(false);
        Ok(crate::present::format::format_remaining(expected, overdue, now, locale))
    })
    .map_err(|e| js_error(&env, e))
}

// ------------------------------------------------------------------- memory

/// Sets how much memory the addon's caches may hold together, in megabytes
/// (default 8; 1 to 4096). The caches keep parsed logs, history rows and
/// decisions so that polls cost what changed; a smaller budget costs reads
/// again, never a wrong answer. Takes effect from the next call.
#[napi(catch_unwind, ts_args_type = "megabytes: number")]
pub fn set_cache_budget(env: Env, megabytes: Option<Unknown<'_>>) -> Result<()> {
    guarded(|| {
        let mb = arguments::number_arg(megabytes, "megabytes")?;
        if !(1.0..=4096.0).contains(&mb) {
            return Err(crate::error::Error::invalid_value(format!(
                "megabytes must be between 1 and 4096, got {mb}"
            )));
        }
        TRACKER.set_cache_budget((mb * 1024.0 * 1024.0) as usize)
    })
    .map_err(|e| js_error(&env, e))
}

// ------------------------------------------------------------ kept output

/// Where the launcher daemon would write the worker log of a launch of
/// `taskId` now: `<user-data>/PROJECTS/<projectId>/RESULT/<orderId>/LOGS/worker_<taskId>_<YYYYMMDD_HHMMSS>.log`
/// (local time). A run the app starts itself (`execute_task.py … --json
/// --verbose --loop`) prints to the app's pipe and leaves no log; write its
/// output (stdout and stderr) here and it is read exactly like the daemon's —
/// `--loop` output included, each run counting for the task it names.
/// Creates nothing: make the folder and the file yourself.
#[napi(
    catch_unwind,
    ts_args_type = "projectId: string, orderId: string, taskId: string, options?: PathOptions | undefined | null"
)]
pub fn worker_log_path(
    env: Env,
    project_id: Option<Unknown<'_>>,
    order_id: Option<Unknown<'_>>,
    task_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> Result<String> {
    guarded(|| {
        let project_id = string_arg(project_id, "projectId")?;
        let order_id = string_arg(order_id, "orderId")?;
        let task_id = string_arg(task_id, "taskId")?;
        let o = Options::new(&env, options, "options")?;
        let source = PathOptions::read(&o)?.source(&o, caller_environment(&env, caller_env))?;
        TRACKER
            .worker_log_path(&project_id, &order_id, &task_id, &source, &Clock::system())
            .map(|p| p.display().to_string())
    })
    .map_err(|e| js_error(&env, e))
}

// ----------------------------------------------------------------- formatting

/// One line for people: `[4/7] AI実行中 (57%)` while running,
/// `[QUEUED] 実行中でない` otherwise, `エラー: <error>` when there is an error.
/// Accepts results in camelCase or the CLI's snake_case.
#[napi(
    catch_unwind,
    ts_args_type = "info: ExecutionStepInfo, locale?: 'ja' | 'en' | undefined | null"
)]
pub fn format_execution_step_display(
    env: Env,
    info: Option<Unknown<'_>>,
    locale: Option<Unknown<'_>>,
) -> Result<String> {
    guarded(|| {
        let locale = arguments::locale_arg(locale, "locale")?;
        let object = arguments::info_arg(&env, info)?;
        let text = |camel: &str, snake: &str| -> Option<String> {
            [camel, snake]
                .iter()
                .find_map(|k| object.get::<String>(k).ok().flatten())
        };
        let number = |camel: &str, snake: &str| -> Option<i64> {
            [camel, snake]
                .iter()
                .find_map(|k| object.get::<f64>(k).ok().flatten())
                .filter(|n| n.is_finite())
                .map(|n| n as i64)
        };
        let (current_step, display, status, error) = (
            text("currentStep", "current_step"),
            text("currentStepDisplay", "current_step_display"),
            text("status", "status"),
            text("error", "error"),
        );
        let fields = DisplayFields {
            current_step: current_step.as_deref(),
            current_step_display: display.as_deref(),
            step_index: number("stepIndex", "step_index"),
            total_steps: number("totalSteps", "total_steps"),
            progress_percent: number("progressPercent", "progress_percent"),
            status: status.as_deref(),
            error: error.as_deref(),
        };
        Ok(format_display(&fields, locale))
    })
    .map_err(|e| js_error(&env, e))
}

/// The seed script's JSON for a result: its fields under their snake_case
/// names (`current_step`, `progress_percent`, …), as `get_execution_steps.py`
/// printed them — what a consumer that parsed that script's output reads.
#[napi(catch_unwind, ts_args_type = "info: ExecutionStepInfo")]
pub fn format_execution_step_json(env: Env, info: Option<Unknown<'_>>) -> Result<String> {
    guarded(|| {
        let object = arguments::info_arg(&env, info)?;
        let info: serde_json::Value = env.from_js_value(object).map_err(|_| {
            crate::error::Error::invalid_arg("info must be an ExecutionStepInfo object (a result of this package)")
        })?;
        serde_json::to_string(&crate::present::json::snake_case_keys(info))
            .map_err(|e| crate::error::Error::new(crate::error::ErrorCode::Internal, format!("cannot write JSON: {e}")))
    })
    .map_err(|e| js_error(&env, e))
}

/// The step a worker-log sub-step belongs to (`self_verification` → `execute_task`), or null.
#[napi(catch_unwind, ts_args_type = "subStep: string", ts_return_type = "StepName | null")]
pub fn step_of_sub_step(env: Env, sub_step: Option<Unknown<'_>>) -> Result<Option<&'static str>> {
    guarded(|| string_arg(sub_step, "subStep").map(|s| Step::from_sub_step(&s).map(Step::name)))
        .map_err(|e| js_error(&env, e))
}

// --------------------------------------------------------------------- sample

/// Builds a sample AI PM user-data folder for demos and experiments:
/// `<userDataDir>/data/aipm.db` in the real schema (WAL, as the app keeps it),
/// worker logs under `<userDataDir>/PROJECTS` and review logs under
/// `<userDataDir>/logs/review_workers`, with tasks of project `ai_pm_manager`
/// in every kind of state, timed relative to now. Refuses to overwrite an
/// existing database. Returns the database path.
#[napi(catch_unwind, ts_args_type = "userDataDir: string")]
pub fn create_sample_database(env: Env, user_data_dir: Option<Unknown<'_>>) -> Result<String> {
    guarded(|| {
        let dir = string_arg(user_data_dir, "userDataDir")?;
        if dir.is_empty() {
            return Err(crate::error::Error::invalid_value("userDataDir must not be empty"));
        }
        if dir.contains('\0') {
            return Err(crate::error::Error::invalid_value(
                "userDataDir must not contain NUL characters",
            ));
        }
        crate::sample::create_sample(std::path::Path::new(&dir), chrono::Utc::now()).map(|p| p.display().to_string())
    })
    .map_err(|e| js_error(&env, e))
}
