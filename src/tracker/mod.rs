//! The product's operations, free of any binding: find the database, read
//! what changed since the last call ([`database`]), read the logs that moved
//! ([`logs`]), decide each task whose evidence changed
//! ([`crate::decision::decide`]), and show the results. The napi layer, the
//! tests and the benchmark call these.

mod bounded;
pub(crate) mod budget;
mod database;
mod incremental;
mod logs;
mod run_history;
pub mod watch;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use std::mem::size_of;

use self::bounded::Bounded;
use self::budget::{Budget, Share, Weigh, BUDGET_RANGE, DEFAULT_BUDGET_BYTES};
use self::database::{DataStamp, Database, TaskData};
use self::logs::LogStore;
use self::run_history::ProjectRuns;
use crate::decision::timeline::ReviewSpan;
use crate::decision::{decide, plan, Decision, Plan};
use crate::error::{Error, Result};
use crate::estimate::calibration::{calibrate, Calibration};
use crate::estimate::{Basis, Estimate, Position, RunKind};
use crate::evidence::review_log::ReviewLog;
use crate::evidence::{TaskEvidence, TaskRow, WorkerLogRun};
use crate::io::db::connection::{self, database_state};
use crate::io::db::location::{self, Environment, Location};
use crate::io::db::read::Selection;
use crate::io::db::write::{record_step_event, NewStepEvent};
use crate::io::file_state::FileState;
use crate::io::logs::paths;
use crate::present::order::{order_progress, OrderProgress};
use crate::present::result::{ExecutionStepInfo, Presentation};
use crate::present::stats::{review_sample, run_samples, summarize, StepDurationStats};
use crate::step::{Step, StepEvent};
use crate::time::{Clock, Instant, Zone};

/// Default time to wait for a writer's lock.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_millis(5000);
/// Longest id accepted.
const MAX_ID_LEN: usize = 512;
/// Longest `detail` recorded: a note, not a payload to store in the user's database.
const MAX_DETAIL_LEN: usize = 16 * 1024;
/// The decisions' share of the budget, in percent.
const DECISIONS_SHARE: usize = 20;
/// The projects' gathered runs' share (the estimate's history).
const RUN_HISTORIES_SHARE: usize = 10;

/// How a call reaches its data: the database and user-data paths it names
/// (else the defaults of `environment`), and how long it waits for a writer.
#[derive(Clone, Debug)]
pub struct Access {
    pub db_path: Option<PathBuf>,
    pub user_data_dir: Option<PathBuf>,
    pub busy_timeout: Duration,
    /// Where default paths come from.
    pub environment: Environment,
}

impl Default for Access {
    fn default() -> Access {
        Access {
            db_path: None,
            user_data_dir: None,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            environment: Environment::of_process(),
        }
    }
}

/// Which tasks a batch covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchFilter {
    pub task_ids: Option<Vec<String>>,
    pub order_id: Option<String>,
    /// Default `["IN_PROGRESS"]` when no task ids are given; empty: every status.
    pub statuses: Option<Vec<String>>,
}

/// Which runs the duration statistics cover.
#[derive(Clone, Debug, Default)]
pub struct StatsFilter {
    pub order_id: Option<String>,
    pub since: Option<Instant>,
}

/// A task and its decided state.
#[derive(Clone, Debug)]
pub struct Evaluated {
    pub task: Arc<TaskRow>,
    pub decision: Arc<Decision>,
    /// When its run is expected to end, for a running task with enough history.
    pub eta: Option<Estimate>,
}

/// What a decision was made from, to tell whether it still stands.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DecisionInputs {
    data: DataStamp,
    /// Every log file a run was read from, as it was.
    logs: Vec<(PathBuf, FileState)>,
    review: Option<FileState>,
}

/// A task's evidence plan and latest decision, with what each was made from.
struct Kept {
    plan_from: (DataStamp, Vec<Instant>),
    plan: Arc<Plan>,
    decided: Option<(DecisionInputs, Arc<Decision>)>,
}

impl Weigh for Kept {
    fn bytes(&self) -> usize {
        let inputs = |i: &DecisionInputs| {
            i.logs
                .iter()
                .map(|(p, _)| size_of::<(PathBuf, FileState)>() + budget::path(p))
                .sum::<usize>()
        };
        size_of::<Instant>() * self.plan_from.1.len()
            + budget::shared::<Plan>(self.plan.bytes())
            + self
                .decided
                .as_ref()
                .map_or(0, |(i, d)| inputs(i) + budget::shared::<Decision>(d.bytes()))
    }
}

/// The read-write connection to a database file (recording), and which file it is on.
type Writer = (FileState, Arc<Mutex<rusqlite::Connection>>);
/// A task of a database: (database path, project, task id).
type TaskKey = (PathBuf, String, String);

/// Connections, the evidence read through them, parsed logs and decisions,
/// shared by every call; safe to use from several threads.
pub struct StepTracker {
    /// The bytes every cache below may hold together.
    budget: Arc<Budget>,
    databases: Mutex<HashMap<PathBuf, Arc<Mutex<Database>>>>,
    writers: Mutex<HashMap<PathBuf, Writer>>,
    logs: Mutex<LogStore>,
    decisions: Mutex<Bounded<TaskKey, Kept>>,
    /// Each project's finished runs, for the estimate: (database, project).
    run_histories: Mutex<Bounded<u64, HeldRuns>>,
    /// Canonical forms of user-data roots (resolving costs a system call per component).
    roots: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
}

/// A project's finished runs as the run-history cache holds them, with the
/// (database, user data, project) they are of.
struct HeldRuns {
    location: Location,
    project: String,
    runs: Arc<ProjectRuns>,
}

impl Weigh for HeldRuns {
    fn bytes(&self) -> usize {
        self.runs.bytes()
            + self.location.db_path.capacity()
            + self.location.user_data_dir.capacity()
            + self.project.capacity()
    }
}

/// The run-history cache's key of a project of a database.
fn history_key(location: &Location, project: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    (location, project).hash(&mut hasher);
    hasher.finish()
}

/// A lock whose holder panicked still guards only caches: keep using them.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// `mutex`, if it can be had before `deadline`.
fn lock_before<T>(mutex: &Mutex<T>, deadline: std::time::Instant) -> Option<MutexGuard<'_, T>> {
    let mut pause = Duration::from_micros(50);
    loop {
        match mutex.try_lock() {
            Ok(guard) => return Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() >= deadline => return None,
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(pause.min(deadline.saturating_duration_since(std::time::Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(5));
            }
        }
    }
}

impl Default for StepTracker {
    fn default() -> StepTracker {
        StepTracker::new()
    }
}

impl StepTracker {
    pub fn new() -> StepTracker {
        let budget = Budget::new(DEFAULT_BUDGET_BYTES);
        StepTracker {
            logs: Mutex::new(LogStore::new(&budget)),
            decisions: Mutex::new(Bounded::new(Share::of(&budget, DECISIONS_SHARE))),
            run_histories: Mutex::new(Bounded::new(Share::of(&budget, RUN_HISTORIES_SHARE))),
            budget,
            databases: Mutex::default(),
            writers: Mutex::default(),
            roots: Mutex::default(),
        }
    }

    /// Sets how many bytes the caches may hold together (`setCacheBudget`);
    /// each cache keeps to its share from its next insert on.
    pub fn set_cache_budget(&self, bytes: usize) -> Result<()> {
        if !BUDGET_RANGE.contains(&bytes) {
            return Err(Error::invalid_value(format!(
                "the cache budget must be between {} and {} MB, got {} bytes",
                BUDGET_RANGE.start() >> 20,
                BUDGET_RANGE.end() >> 20,
                bytes
            )));
        }
        self.budget.set_limit(bytes);
        Ok(())
    }

    /// Bytes the caches hold now, as they weigh their entries (tests, benchmark).
    pub fn cache_bytes(&self) -> usize {
        self.budget.held()
    }

    /// The database and user-data paths `source` resolves to.
    pub fn locate(&self, source: &Access) -> Result<Location> {
        location::resolve(
            source.db_path.as_deref(),
            source.user_data_dir.as_deref(),
            &source.environment,
        )
    }

    /// One task's step (`getTaskExecutionStep`). A task that does not exist is a result.
    pub fn task_step(
        &self,
        project_id: &str,
        task_id: &str,
        source: &Access,
        presentation: Presentation,
        clock: &Clock,
    ) -> Result<ExecutionStepInfo> {
        check_id("projectId", project_id)?;
        check_id("taskId", task_id)?;
        let ids = [task_id.to_owned()];
        let selection = Selection {
            project_id,
            task_ids: Some(&ids),
            ..Selection::default()
        };
        let evaluated = self.evaluate(&selection, source, clock)?;
        Ok(match evaluated.first() {
            Some(e) => ExecutionStepInfo::new(&e.task, &e.decision, e.eta.as_ref(), presentation, clock),
            None => ExecutionStepInfo::not_found(project_id, task_id, presentation),
        })
    }

    /// Many tasks' steps (`getMultipleTasksExecutionSteps`), most recently updated first.
    pub fn tasks_steps(
        &self,
        project_id: &str,
        filter: &BatchFilter,
        source: &Access,
        presentation: Presentation,
        clock: &Clock,
    ) -> Result<Vec<ExecutionStepInfo>> {
        let evaluated = self.evaluate_batch(project_id, filter, source, clock)?;
        Ok(evaluated
            .iter()
            .map(|e| ExecutionStepInfo::new(&e.task, &e.decision, e.eta.as_ref(), presentation, clock))
            .collect())
    }

    /// The tasks a batch covers, decided, most recently updated first.
    pub fn evaluate_batch(
        &self,
        project_id: &str,
        filter: &BatchFilter,
        source: &Access,
        clock: &Clock,
    ) -> Result<Vec<Evaluated>> {
        check_id("projectId", project_id)?;
        for id in filter.task_ids.iter().flatten() {
            check_id("taskIds[]", id)?;
        }
        let default_statuses = ["IN_PROGRESS".to_owned()];
        let statuses = match (&filter.statuses, &filter.task_ids) {
            (Some(s), _) if s.is_empty() => None,
            (Some(s), _) => Some(s.as_slice()),
            (None, None) => Some(&default_statuses[..]),
            (None, Some(_)) => None,
        };
        let selection = Selection {
            project_id,
            task_ids: filter.task_ids.as_deref(),
            order_id: filter.order_id.as_deref(),
            statuses,
            history: true,
        };
        let mut evaluated = self.evaluate(&selection, source, clock)?;
        let updated = |e: &Evaluated| e.task.updated_at.or(e.decision.last_updated);
        evaluated.sort_by(|a, b| updated(b).cmp(&updated(a)).then_with(|| a.task.id.cmp(&b.task.id)));
        Ok(evaluated)
    }

    /// An ORDER's progress (`getOrderProgress`): its tasks by state, its
    /// step-weighted percent and the expected end of its running runs.
    pub fn order_progress(
        &self,
        project_id: &str,
        order_id: &str,
        source: &Access,
        clock: &Clock,
    ) -> Result<OrderProgress> {
        check_id("orderId", order_id)?;
        let filter = BatchFilter {
            order_id: Some(order_id.to_owned()),
            statuses: Some(Vec::new()),
            ..BatchFilter::default()
        };
        let tasks = self.evaluate_batch(project_id, &filter, source, clock)?;
        Ok(order_progress(
            project_id,
            order_id,
            tasks
                .iter()
                .map(|e| (e.task.status.as_str(), &*e.decision, e.eta.as_ref())),
            clock.zone,
        ))
    }

    /// How well the estimate did on the project's own finished runs
    /// (`getEstimateCalibration`): each left out and estimated from the others.
    pub fn estimate_calibration(&self, project_id: &str, source: &Access, clock: &Clock) -> Result<Vec<Calibration>> {
        check_id("projectId", project_id)?;
        let location = self.locate(source)?;
        let runs = self.project_runs(&location, project_id, source, clock, true);
        Ok(calibrate(&runs.map(|r| r.past_runs()).unwrap_or_default()))
    }

    /// Per-step durations over the finished steps of the project's (or an
    /// order's) runs: recorded runs where a task has them, else its runs in
    /// the worker logs of its order (its own, and `--loop` output naming it) and
    /// the rework run of its review log; its last review for `auto_review`. A
    /// review log counts only for the project its first line names.
    pub fn duration_stats(
        &self,
        project_id: &str,
        filter: &StatsFilter,
        source: &Access,
        presentation: Presentation,
        clock: &Clock,
    ) -> Result<Vec<StepDurationStats>> {
        check_id("projectId", project_id)?;
        let location = self.locate(source)?;
        let zone = clock.zone;
        let evidence = self.on_database(&location, source, |db, _, left| {
            db.statistics(project_id, filter.order_id.as_deref(), zone, left)
        })?;
        let since = |began: Option<Instant>| filter.since.is_none_or(|s| began.is_some_and(|b| b >= s));
        let mut samples = Vec::new();
        // Tasks without recorded runs read their runs from the logs, folder by folder.
        let mut from_logs: HashMap<PathBuf, Vec<&str>> = HashMap::new();
        let root = self.canonical_root(&location.user_data_dir);
        for (id, order) in &evidence.tasks {
            match evidence.recorded.get(id) {
                Some(runs) => {
                    for run in runs.iter().filter(|r| since(r.began_at)) {
                        samples.extend(run_samples(id, &run.run));
                    }
                }
                None => {
                    let dir = root
                        .as_deref()
                        .zip(order.as_deref())
                        .and_then(|(root, order)| paths::logs_dir(root, project_id, order));
                    if let Some(dir) = dir {
                        from_logs.entry(dir).or_default().push(id);
                    }
                }
            }
        }
        let Some(root) = self.canonical_root(&location.user_data_dir) else {
            return Ok(summarize(&samples, presentation.locale));
        };
        let mut logs = lock(&self.logs);
        for (dir, tasks) in &from_logs {
            let wanted: HashSet<&str> = tasks.iter().copied().collect();
            for file in logs.folder_logs(dir, &root, zone) {
                let Some(read) = logs.worker_log(&file, zone) else {
                    continue;
                };
                for (i, run) in read.value.iter().enumerate() {
                    let owner = logs::owner(i, run, &file);
                    let began = if i == 0 { Some(file.launched_at) } else { run.began_at };
                    if wanted.contains(owner) && since(began) {
                        samples.extend(run_samples(owner, &run.run));
                    }
                }
            }
        }
        for (id, _) in &evidence.tasks {
            let Some(review) = review_log(&mut logs, &root, id, zone)
                .map(|r| r.value)
                .filter(|r| r.is_for(project_id, id))
            else {
                continue;
            };
            let recorded = evidence.recorded.contains_key(id);
            if let Some(rework) = review.rework.as_ref().filter(|r| !recorded && since(r.started_at)) {
                samples.extend(run_samples(id, &rework.run));
            }
            if since(review.started_at) {
                samples.extend(review_sample(id, ReviewSpan::of(&review)));
            }
        }
        Ok(summarize(&samples, presentation.locale))
    }

    /// Where the daemon would write the worker log of a launch of `task_id` now
    /// (`workerLogPath`): the path a run's output can be kept at so that it is
    /// read like the daemon's. Creates nothing.
    pub fn worker_log_path(
        &self,
        project_id: &str,
        order_id: &str,
        task_id: &str,
        source: &Access,
        clock: &Clock,
    ) -> Result<PathBuf> {
        check_id("projectId", project_id)?;
        check_id("orderId", order_id)?;
        check_id("taskId", task_id)?;
        let location = self.locate(source)?;
        paths::worker_log(
            &location.user_data_dir,
            project_id,
            order_id,
            task_id,
            clock.zone.local(clock.now),
        )
        .ok_or_else(|| {
            Error::invalid_value(
                "projectId, orderId and taskId must each be usable as a folder or file name (no /, \\, :, control characters, . or ..)",
            )
        })
    }

    /// Appends a recorded step event (`recordExecutionStep`).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        project_id: &str,
        task_id: &str,
        step: &str,
        event: &str,
        detail: Option<&str>,
        source: &Access,
        clock: &Clock,
    ) -> Result<()> {
        check_id("projectId", project_id)?;
        check_id("taskId", task_id)?;
        if Step::from_sub_step(step).is_none() {
            return Err(Error::invalid_value(format!(
                "step must be one of the seven steps or a worker-log sub-step, got {step:?}"
            )));
        }
        let event = StepEvent::RECORDABLE
            .into_iter()
            .find(|e| e.name() == Some(event))
            .ok_or_else(|| {
                Error::invalid_value(format!(
                    "event must be one of start, success, skip, info, warning, failed, complete; got {event:?}"
                ))
            })?;
        if detail.is_some_and(|d| d.contains('\0')) {
            return Err(Error::invalid_value("detail must not contain NUL characters"));
        }
        if detail.is_some_and(|d| d.len() > MAX_DETAIL_LEN) {
            return Err(Error::invalid_value(format!(
                "detail is longer than {MAX_DETAIL_LEN} bytes"
            )));
        }
        let location = self.locate(source)?;
        let path = &location.db_path;
        let state = database_state(path)?;
        let writer = {
            let mut writers = lock(&self.writers);
            match writers.get(path) {
                Some((on, conn)) if on.id == state.id => Arc::clone(conn),
                _ => {
                    let conn = Arc::new(Mutex::new(connection::open_writer(path)?));
                    writers.insert(path.clone(), (state, Arc::clone(&conn)));
                    conn
                }
            }
        };
        let mut conn = lock(&writer);
        connection::set_busy_timeout(&conn, source.busy_timeout, path)?;
        let new_event = NewStepEvent {
            project_id,
            task_id,
            step,
            event,
            detail,
            recorded_at: clock.now,
        };
        record_step_event(&mut conn, path, &new_event)
    }

    /// The selected tasks, decided. A task whose evidence did not change since
    /// it was last decided keeps its decision.
    pub fn evaluate(&self, selection: &Selection<'_>, source: &Access, clock: &Clock) -> Result<Vec<Evaluated>> {
        let location = self.locate(source)?;
        let snapshot = self.snapshot(&location, selection, source, clock.zone)?;
        let root = self.canonical_root(&location.user_data_dir);
        let zone = clock.zone;
        let mut logs = lock(&self.logs);
        let mut out = Vec::with_capacity(snapshot.len());
        for data in snapshot.iter() {
            let task = &data.task;
            let key = (location.db_path.clone(), task.project_id.clone(), task.id.clone());
            let folder = root.as_deref().and_then(|root| Some((logs_dir(root, task)?, root)));
            let files = match &folder {
                Some((dir, root)) => logs.worker_logs(dir, root, &task.id, zone),
                None => Vec::new(),
            };
            let launches: Vec<Instant> = files.iter().map(|f| f.launched_at).collect();
            let plan = self.plan(&key, data, launches);
            // The evidence the plan asks for, and the state of every file it came from.
            let mut runs: Vec<WorkerLogRun> = Vec::new();
            let mut read_from: Vec<(PathBuf, FileState)> = Vec::new();
            let mut take = |read: Option<logs::ReadLog<Vec<WorkerLogRun>>>, path: &Path| {
                if let Some(read) = read {
                    runs.extend(read.value);
                    read_from.push((path.to_path_buf(), read.state));
                }
            };
            for (i, file) in files.iter().enumerate() {
                if plan.worker_logs.wants(file.launched_at, i, files.len()) {
                    take(logs.worker_runs(file, &task.id, zone), &file.path);
                }
            }
            if let (Some(since), Some((dir, root))) = (plan.loop_runs_since, folder) {
                for file in logs.folder_logs(&dir, root, zone) {
                    let written_since = FileState::of(&file.path)
                        .and_then(|s| s.modified)
                        .is_some_and(|m| m >= std::time::SystemTime::from(since));
                    if file.task_id != task.id && file.launched_at <= clock.now && written_since {
                        take(logs.worker_runs(&file, &task.id, zone), &file.path);
                    }
                }
            }
            runs.sort_by_key(|r| r.launched_at);
            let review = match (&root, plan.review_log) {
                (Some(root), true) => review_log(&mut logs, root, &task.id, zone),
                _ => None,
            };
            let inputs = DecisionInputs {
                data: data.stamp.clone(),
                logs: read_from,
                review: review.as_ref().map(|r| r.state),
            };
            let decision = self.decision(key, inputs, || {
                decide(
                    &plan,
                    &TaskEvidence {
                        task,
                        history: &data.history,
                        locks: data.locks,
                        recorded: &data.recorded,
                        worker_logs: &runs,
                        review_log: review.as_ref().map(|r| &r.value),
                    },
                )
            });
            out.push(Evaluated {
                task: Arc::clone(task),
                decision,
                eta: None,
            });
        }
        drop(logs);
        if out.iter().any(|e| e.decision.running) {
            if let Some(basis) = self.basis(&location, selection.project_id, source, clock) {
                for e in out.iter_mut() {
                    e.eta = position(&e.decision).and_then(|p| basis.estimate(p, clock.now));
                }
            }
        }
        Ok(out)
    }

    /// The estimate's basis for `project`. `None` without a user-data folder.
    fn basis(&self, location: &Location, project: &str, source: &Access, clock: &Clock) -> Option<Arc<Basis>> {
        self.project_runs(location, project, source, clock, false)
            .map(|runs| Arc::clone(&runs.basis))
    }

    /// `project`'s finished runs, gathered again when older than
    /// [`run_history::REFRESH`] (reading only the logs that moved), or when
    /// `need_runs` and only the basis was kept. `None` without a user-data folder.
    fn project_runs(
        &self,
        location: &Location,
        project: &str,
        source: &Access,
        clock: &Clock,
        need_runs: bool,
    ) -> Option<Arc<ProjectRuns>> {
        let zone = clock.zone;
        // Looked up by a hash, so that the lookup every running result makes allocates nothing.
        let key = history_key(location, project);
        let previous = lock(&self.run_histories)
            .get(&key)
            .filter(|held| held.location == *location && held.project == project)
            .map(|held| Arc::clone(&held.runs));
        let fresh = previous.as_ref().filter(|r| r.fresh(clock.now));
        if let Some(runs) = fresh.filter(|r| r.is_complete() || !need_runs) {
            return Some(Arc::clone(runs));
        }
        let previous = previous.filter(|r| r.is_complete());
        let root = self.canonical_root(&location.user_data_dir)?;
        let recorded = self
            .on_database(location, source, |db, _, left| db.recorded_runs(project, zone, left))
            .unwrap_or_default();
        let gathered = {
            let mut logs = lock(&self.logs);
            Arc::new(run_history::gather(
                &mut logs,
                &root,
                project,
                &recorded,
                previous.as_deref(),
                zone,
                clock.now,
            ))
        };
        let held = |runs: Arc<ProjectRuns>| HeldRuns {
            location: location.clone(),
            project: project.to_owned(),
            runs,
        };
        let mut histories = lock(&self.run_histories);
        let whole = held(Arc::clone(&gathered));
        let weight = whole.bytes();
        if !histories.insert(key, whole, weight) {
            // More runs than the share holds: keep what the estimates need.
            let slim = held(Arc::new(gathered.slim()));
            let weight = slim.bytes();
            histories.insert(key, slim, weight);
        }
        Some(gathered)
    }

    /// The evidence plan for a task whose database evidence is `data` and whose
    /// own logs were launched at `launches`: the one kept, if made from the same.
    fn plan(&self, key: &TaskKey, data: &TaskData, launches: Vec<Instant>) -> Arc<Plan> {
        let mut decisions = lock(&self.decisions);
        if let Some(kept) = decisions.get(key) {
            if kept.plan_from == (data.stamp.clone(), launches.clone()) {
                return Arc::clone(&kept.plan);
            }
        }
        let plan = Arc::new(plan(&data.task, &data.others, &data.history, &launches));
        let kept = Kept {
            plan_from: (data.stamp.clone(), launches),
            plan: Arc::clone(&plan),
            decided: None,
        };
        let weight = kept.bytes() + key.0.as_os_str().len() + key.1.len() + key.2.len();
        decisions.insert(key.clone(), kept, weight);
        plan
    }

    /// The decision for `key` made from `inputs`: the one kept, if it was made from the same.
    fn decision(&self, key: TaskKey, inputs: DecisionInputs, decide: impl FnOnce() -> Decision) -> Arc<Decision> {
        let mut decisions = lock(&self.decisions);
        if let Some(Kept {
            decided: Some((kept_inputs, decision)),
            ..
        }) = decisions.get(&key)
        {
            if *kept_inputs == inputs {
                return Arc::clone(decision);
            }
        }
        let decision = Arc::new(decide());
        if let Some(kept) = decisions.get_mut(&key) {
            kept.decided = Some((inputs, Arc::clone(&decision)));
            let weight = kept.bytes() + key.0.as_os_str().len() + key.1.len() + key.2.len();
            decisions.reweigh(&key, weight);
        }
        decision
    }

    /// The selected tasks' database evidence, read as far as it changed.
    fn snapshot(
        &self,
        location: &Location,
        selection: &Selection<'_>,
        source: &Access,
        zone: Zone,
    ) -> Result<Arc<Vec<TaskData>>> {
        self.on_database(location, source, |db, state, left| {
            db.read(selection, state, zone, left)
        })
    }

    /// Runs `work` on the connection to the database at `location`, given the
    /// file's state now and the time left of the busy timeout. The connection
    /// serves one call at a time; a call waits for it no longer than it would
    /// wait for a writer (another call may be waiting for one).
    fn on_database<T>(
        &self,
        location: &Location,
        source: &Access,
        work: impl Fn(&mut Database, FileState, Duration) -> Result<T>,
    ) -> Result<T> {
        let path = &location.db_path;
        let state = database_state(path)?;
        let deadline = std::time::Instant::now() + source.busy_timeout;
        let busy = || {
            Error::new(
                crate::error::ErrorCode::DbBusy,
                format!(
                    "another read of {} was still waiting for a writer past the busy timeout",
                    path.display()
                ),
            )
        };
        let current = lock(&self.databases).get(path).cloned();
        let mut database = match current {
            Some(database) => database,
            None => self.connect(path, state, None)?,
        };
        let serves = lock_before(&database, deadline).ok_or_else(busy)?.serves(&state);
        if !serves {
            // Another file at the path: a new connection (the old one closes; this
            // addon's descriptors park, see io::db::locking).
            database = self.connect(path, state, Some(&database))?;
        }
        let mut db = lock_before(&database, deadline).ok_or_else(busy)?;
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        work(&mut db, state, left)
    }

    /// A connection to `path`, now `state`, in place of `stale` (or of none).
    fn connect(
        &self,
        path: &Path,
        state: FileState,
        stale: Option<&Arc<Mutex<Database>>>,
    ) -> Result<Arc<Mutex<Database>>> {
        let mut databases = lock(&self.databases);
        if let Some(current) = databases.get(path) {
            // Another call may have connected meanwhile.
            if stale.is_none_or(|s| !Arc::ptr_eq(s, current)) {
                return Ok(Arc::clone(current));
            }
        }
        let database = Arc::new(Mutex::new(Database::open(path, state, &self.budget)?));
        databases.insert(path.to_path_buf(), Arc::clone(&database));
        Ok(database)
    }

    /// The user-data root with links resolved, remembered once it exists.
    fn canonical_root(&self, user_data_dir: &Path) -> Option<PathBuf> {
        let mut roots = lock(&self.roots);
        if let Some(Some(root)) = roots.get(user_data_dir) {
            return Some(root.clone());
        }
        let root = user_data_dir.canonicalize().ok();
        if roots.len() >= 64 {
            roots.clear();
        }
        roots.insert(user_data_dir.to_path_buf(), root.clone());
        root
    }

    /// Read transactions run on the connection to `db_path` so far (tests and benchmark).
    pub fn reads_of(&self, db_path: &Path) -> u64 {
        lock(&self.databases).get(db_path).map_or(0, |db| lock(db).reads)
    }

    /// Log bytes read so far.
    pub fn log_bytes_read(&self) -> u64 {
        lock(&self.logs).bytes_read()
    }

    /// History rows held for `db_path`.
    pub fn history_rows_held(&self, db_path: &Path) -> usize {
        lock(&self.databases)
            .get(db_path)
            .map_or(0, |db| lock(db).history_rows_held())
    }
}

/// Where a running task's run is, for the estimate: its kind, its step and
/// when it entered it (the attempt's start where the step's is not known).
fn position(decision: &Decision) -> Option<Position> {
    let step = decision.current_step?;
    Some(Position {
        kind: RunKind::of(decision.running_phase?),
        step,
        step_started_at: decision.timeline[step.index()].started_at.or(decision.started_at)?,
    })
}

/// The LOGS folder of the task's order (none if its ids cannot name a folder).
fn logs_dir(root: &Path, task: &TaskRow) -> Option<PathBuf> {
    paths::logs_dir(root, &task.project_id, task.order_id.as_deref()?)
}

/// The task id's review log, if it is a file inside the review folder.
fn review_log(logs: &mut LogStore, root: &Path, task_id: &str, zone: Zone) -> Option<logs::ReadLog<ReviewLog>> {
    let path = paths::review_log(root, task_id)?;
    let meta = std::fs::symlink_metadata(&path).ok()?;
    let plain = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    let dir = paths::review_dir(root);
    let path = if meta.is_file() && plain(&dir) && dir.parent().is_some_and(plain) {
        path
    } else {
        // A link somewhere on the way: only if it stays inside the folder.
        paths::inside(&path, &dir, root)?
    };
    logs.review(&path, zone)
}

pub(crate) fn check_id(name: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid_value(format!("{name} must not be empty")));
    }
    if id.len() > MAX_ID_LEN {
        return Err(Error::invalid_value(format!(
            "{name} is longer than {MAX_ID_LEN} bytes"
        )));
    }
    if id.contains('\0') {
        return Err(Error::invalid_value(format!("{name} must not contain NUL characters")));
    }
    Ok(())
}

#[cfg(test)]
mod weight_tests {
    use super::budget::tests::held;
    use super::*;
    use crate::sample::script::{Backend, Ending, Out, Pace, Script, Task};
    use crate::time::Zone;

    /// A folder with `n` tasks, each launched and run to DONE by the daemon, with their logs.
    fn folder(n: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let backend = Backend::create(&root, true).unwrap();
        let start = chrono::DateTime::parse_from_rfc3339("2026-10-24T01:00:00Z")
            .unwrap()
            .to_utc();
        let mut script = Script::new(&root, Zone::japan(), start);
        for i in 0..n {
            let t = Task::new("p", "ORDER_1", &format!("TASK_{i:04}"), "Worker A");
            script.add_task(&t, "QUEUED");
            let log = script.daemon_launch(&t);
            script.worker_run(&t, &Out::Log(log), &Ending::Completes, Pace::default());
        }
        backend.apply_all(script.writes()).unwrap();
        (dir, backend.db_path)
    }

    #[test]
    fn the_caches_weigh_what_they_really_hold() {
        let (_dir, db) = folder(200);
        let tracker = StepTracker::new();
        let access = Access {
            db_path: Some(db),
            environment: Environment::default(),
            ..Access::default()
        };
        let clock = Clock {
            zone: Zone::japan(),
            now: chrono::Utc::now(),
        };
        let verbose = Presentation {
            verbose: true,
            ..Presentation::default()
        };
        let before = held();
        for i in 0..200 {
            tracker
                .task_step("p", &format!("TASK_{i:04}"), &access, verbose, &clock)
                .unwrap();
        }
        let filter = BatchFilter {
            statuses: Some(vec!["DONE".into()]),
            ..BatchFilter::default()
        };
        tracker.tasks_steps("p", &filter, &access, verbose, &clock).unwrap();
        let allocated = (held() - before) as f64;
        let weighed = tracker.cache_bytes() as f64;
        // What each cache holds: the bytes freed by dropping it, against its weight.
        let mut report = Vec::new();
        let mut measure = |name: &str, weight: usize, drop_it: &mut dyn FnMut()| {
            let h = held();
            drop_it();
            report.push(format!("{name}: holds {} weighs {weight}", h - held()));
        };
        let w = lock(&tracker.decisions).weight();
        measure("decisions", w, &mut || lock(&tracker.decisions).clear());
        let (w1, w2) = {
            let l = lock(&tracker.logs);
            (l.worker.weight(), l.listings.weight())
        };
        measure("worker logs", w1, &mut || lock(&tracker.logs).worker.clear());
        measure("listings", w2, &mut || lock(&tracker.logs).listings.clear());
        let db = lock(&tracker.databases).values().next().cloned().unwrap();
        let (h, sel) = {
            let d = lock(&db);
            (d.history_weight(), d.selections_weight())
        };
        measure("selections", sel, &mut || lock(&db).clear_selections());
        measure("history", h, &mut || lock(&db).clear_history());
        eprintln!("{}", report.join("\n"));
        let ratio = allocated / weighed;
        assert!(
            (0.8..=1.25).contains(&ratio),
            "the caches hold {allocated} bytes and weigh {weighed}: ratio {ratio:.2}"
        );
    }
}
