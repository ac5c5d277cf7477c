//! The product's operations, free of any binding: find the database, read a
//! snapshot, gather each task's runs from logs and recorded events, infer,
//! and shape the result. The napi layer and the tests call these.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::db::location::{self, Location};
use crate::db::pool::ConnectionPool;
use crate::db::read::{in_read_transaction, read_selected, read_tasks, Fetched, Selection, TaskRecord};
use crate::db::write::{record_step_event, NewStepEvent};
use crate::error::{Error, Result};
use crate::evidence::attempt::Attempt;
use crate::evidence::log_dir::{expected_logs_dir, is_safe_component, logs_dir, scan_logs, LogFile};
use crate::evidence::log_file::LogCache;
use crate::evidence::recorded::split_runs;
use crate::inference::{infer, Inference, Runs};
use crate::read_memo::{DatabaseFiles, MemoKey};
use crate::result::{ExecutionStepInfo, Presentation};
use crate::stats::{samples_of, summarize, StepDurationStats};
use crate::steps::{Step, StepEvent};
use crate::time::{parse_db_timestamp, Clock, Instant};

/// Default time to wait for a writer's lock.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_millis(5000);
/// Longest id accepted.
const MAX_ID_LEN: usize = 512;
/// Longest `detail` recorded: a note, not a payload to store in the user's database.
const MAX_DETAIL_LEN: usize = 16 * 1024;

/// Where to read from.
#[derive(Clone, Debug)]
pub struct Source {
    pub db_path: Option<PathBuf>,
    pub user_data_dir: Option<PathBuf>,
    pub busy_timeout: Duration,
}

impl Default for Source {
    fn default() -> Source {
        Source {
            db_path: None,
            user_data_dir: None,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }
}

/// Which tasks a batch covers.
#[derive(Clone, Debug, Default)]
pub struct BatchFilter {
    pub task_ids: Option<Vec<String>>,
    pub order_id: Option<String>,
    /// Default `["IN_PROGRESS"]` when no task ids are given.
    pub statuses: Option<Vec<String>>,
}

/// Which runs the duration statistics cover.
#[derive(Clone, Debug, Default)]
pub struct StatsFilter {
    pub order_id: Option<String>,
    pub since: Option<Instant>,
}

/// A task with what was inferred about it.
#[derive(Clone)]
pub struct Evaluated {
    /// Shared, so a remembered evaluation is handed out without copying its history.
    pub record: Arc<TaskRecord>,
    pub inference: Inference,
    /// The worker log the attempt was read from, if any.
    pub log_path: Option<PathBuf>,
    /// The LOGS folder of the task's order, existing or not (new logs appear there).
    pub logs_dir: Option<PathBuf>,
}

type EnvReader = dyn Fn(&str) -> Option<OsString> + Send + Sync;

/// Connections and parsed logs, shared by every call.
pub struct StepTracker {
    pool: ConnectionPool,
    logs: LogCache,
    /// Canonical forms of user-data roots resolved so far (resolving costs a
    /// system call per path component, on every call otherwise).
    roots: Mutex<HashMap<PathBuf, PathBuf>>,
    env: Box<EnvReader>,
}

impl Default for StepTracker {
    fn default() -> StepTracker {
        StepTracker::new()
    }
}

impl StepTracker {
    /// A tracker that reads the process environment for default paths.
    pub fn new() -> StepTracker {
        StepTracker::with_env(|name| std::env::var_os(name))
    }

    /// A tracker with its own view of the environment.
    pub fn with_env(env: impl Fn(&str) -> Option<OsString> + Send + Sync + 'static) -> StepTracker {
        StepTracker {
            pool: ConnectionPool::new(),
            logs: LogCache::new(),
            roots: Mutex::default(),
            env: Box::new(env),
        }
    }

    pub fn log_cache(&self) -> &LogCache {
        &self.logs
    }

    pub fn pool(&self) -> &ConnectionPool {
        &self.pool
    }

    /// The database and user-data paths `source` resolves to.
    pub fn locate(&self, source: &Source) -> Result<Location> {
        location::resolve(source.db_path.as_deref(), source.user_data_dir.as_deref(), &*self.env)
    }

    /// One task's step (`getTaskExecutionStep`). A task that does not exist is a result.
    pub fn task_step(
        &self,
        project_id: &str,
        task_id: &str,
        source: &Source,
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
            Some(e) => ExecutionStepInfo::build(&e.record.task, &e.inference, presentation, clock),
            None => ExecutionStepInfo::not_found(project_id, task_id, presentation),
        })
    }

    /// Many tasks' steps (`getMultipleTasksExecutionSteps`), most recently updated first.
    pub fn tasks_steps(
        &self,
        project_id: &str,
        filter: &BatchFilter,
        source: &Source,
        presentation: Presentation,
        clock: &Clock,
    ) -> Result<Vec<ExecutionStepInfo>> {
        let evaluated = self.evaluate_batch(project_id, filter, source, clock)?;
        Ok(evaluated
            .iter()
            .map(|e| ExecutionStepInfo::build(&e.record.task, &e.inference, presentation, clock))
            .collect())
    }

    /// The tasks a batch covers, evaluated, most recently updated first.
    pub fn evaluate_batch(
        &self,
        project_id: &str,
        filter: &BatchFilter,
        source: &Source,
        clock: &Clock,
    ) -> Result<Vec<Evaluated>> {
        check_id("projectId", project_id)?;
        for id in filter.task_ids.iter().flatten() {
            check_id("taskIds[]", id)?;
        }
        let default_statuses = ["IN_PROGRESS".to_owned()];
        let statuses = match (&filter.statuses, &filter.task_ids) {
            (Some(s), _) => Some(s.as_slice()),
            (None, None) => Some(&default_statuses[..]),
            (None, Some(_)) => None,
        };
        let selection = Selection {
            project_id,
            task_ids: filter.task_ids.as_deref(),
            order_id: filter.order_id.as_deref(),
            statuses,
        };
        let mut evaluated = self.evaluate(&selection, source, clock)?;
        let updated = |e: &Evaluated| {
            e.record
                .task
                .updated_at
                .as_deref()
                .and_then(|t| parse_db_timestamp(t, clock.zone))
                .or(e.inference.last_updated)
        };
        evaluated.sort_by(|a, b| {
            updated(b)
                .cmp(&updated(a))
                .then_with(|| a.record.task.id.cmp(&b.record.task.id))
        });
        Ok(evaluated)
    }

    /// Per-step durations over the finished steps of the project's (or order's) runs.
    pub fn duration_stats(
        &self,
        project_id: &str,
        filter: &StatsFilter,
        source: &Source,
        presentation: Presentation,
        clock: &Clock,
    ) -> Result<Vec<StepDurationStats>> {
        check_id("projectId", project_id)?;
        let location = self.locate(source)?;
        let selection = Selection {
            project_id,
            order_id: filter.order_id.as_deref(),
            ..Selection::default()
        };
        let records = self.read(&location, &selection, source, clock)?;
        let mut logs = LogIndex::new(self.canonical_root(&location.user_data_dir));
        let since = |began: Option<Instant>| filter.since.is_none_or(|s| began.is_some_and(|b| b >= s));
        let mut samples = Vec::new();
        for record in &records {
            let task_id = record.task.id.as_str();
            let recorded = split_runs(&record.events);
            if !recorded.is_empty() {
                for run in recorded.iter().filter(|r| since(r.began_at)) {
                    samples.extend(samples_of(task_id, &run.timeline, clock.now));
                }
                continue;
            }
            for file in logs
                .task_logs(record, clock)
                .iter()
                .filter(|f| since(Some(f.launched_at)))
            {
                if let Ok(run) = self.logs.timeline(&file.path, clock.zone) {
                    samples.extend(samples_of(task_id, &run, clock.now));
                }
            }
        }
        Ok(summarize(&samples, presentation.locale))
    }

    /// Appends a recorded step event (`recordExecutionStep`).
    pub fn record(
        &self,
        project_id: &str,
        task_id: &str,
        step: &str,
        event: &str,
        detail: Option<&str>,
        source: &Source,
        clock: &Clock,
    ) -> Result<()> {
        check_id("projectId", project_id)?;
        check_id("taskId", task_id)?;
        if Step::from_sub_step(step).is_none() {
            return Err(Error::invalid_arg(format!(
                "step must be one of the seven steps or a worker-log sub-step, got {step:?}"
            )));
        }
        let event = StepEvent::from_name(event).ok_or_else(|| {
            Error::invalid_arg(format!(
                "event must be one of start, success, skip, info, warning, failed, complete; got {event:?}"
            ))
        })?;
        if detail.is_some_and(|d| d.contains('\0')) {
            return Err(Error::invalid_arg("detail must not contain NUL characters"));
        }
        if detail.is_some_and(|d| d.len() > MAX_DETAIL_LEN) {
            return Err(Error::invalid_arg(format!(
                "detail is longer than {MAX_DETAIL_LEN} bytes"
            )));
        }
        let location = self.locate(source)?;
        let new_event = NewStepEvent {
            project_id,
            task_id,
            step,
            event,
            detail,
            recorded_at: clock.now,
        };
        let path = &location.db_path;
        self.pool.with_writer(path, source.busy_timeout, |conn| {
            record_step_event(conn, path, &new_event)
        })
    }

    /// Reads the selected tasks and infers each one's state. An evaluation
    /// of the same selection on an unchanged database and unchanged logs is
    /// reused (see [`crate::read_memo`]).
    pub fn evaluate(&self, selection: &Selection<'_>, source: &Source, clock: &Clock) -> Result<Vec<Evaluated>> {
        let location = self.locate(source)?;
        let key = MemoKey::new(selection, &location.user_data_dir, clock.zone);
        let path = &location.db_path;
        self.pool.with_reader(path, source.busy_timeout, |reader| {
            let files = DatabaseFiles::of(path, reader.file_stamp);
            if let Some(remembered) = reader.memo.get_unchanged(&key, &files) {
                return Ok(remembered);
            }
            // The version and the data come from one snapshot (and one lock of the file).
            let read = in_read_transaction(reader, path, |reader| {
                let data_version = reader.data_version()?;
                if let Some(remembered) = reader.memo.get(&key, data_version, files.clone()) {
                    return Ok(Ok(Read::Remembered(remembered)));
                }
                Ok(read_selected(reader, selection, clock.zone)?.map(|fetched| Read::Fresh(fetched, data_version)))
            })?;
            match read {
                Read::Remembered(evaluated) => Ok(evaluated),
                Read::Fresh(fetched, data_version) => {
                    let records = fetched.assemble(selection, clock.zone);
                    let evaluated = self.infer_all(records, &location, clock);
                    reader.memo.put(key, data_version, &location.user_data_dir, &evaluated);
                    Ok(evaluated)
                }
            }
        })
    }

    /// Each record's attempt, runs from recorded events and logs, and inference.
    fn infer_all(&self, records: Vec<TaskRecord>, location: &Location, clock: &Clock) -> Vec<Evaluated> {
        let mut logs = LogIndex::new(self.canonical_root(&location.user_data_dir));
        records
            .into_iter()
            .map(|record| {
                let attempt = Attempt::find(&record.history, &record.task.status);
                let recorded = split_runs(&record.events)
                    .into_iter()
                    .rev()
                    .find(|r| attempt.admits(r.began_at))
                    .map(|r| r.timeline);
                let log_path = logs
                    .task_logs(&record, clock)
                    .iter()
                    .rev()
                    .find(|f| attempt.admits(Some(f.launched_at)))
                    .map(|f| f.path.clone());
                let log = log_path.as_ref().and_then(|p| self.logs.timeline(p, clock.zone).ok());
                let inference = infer(&record, &attempt, Runs { recorded, log }, clock.zone);
                let logs_dir = logs.dir_of(&record, clock);
                Evaluated {
                    record: Arc::new(record),
                    inference,
                    log_path,
                    logs_dir,
                }
            })
            .collect()
    }

    /// The user-data root with links resolved, remembered once it exists.
    fn canonical_root(&self, user_data_dir: &Path) -> Option<PathBuf> {
        let mut roots = self.roots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(root) = roots.get(user_data_dir) {
            return Some(root.clone());
        }
        let root = user_data_dir.canonicalize().ok()?;
        if roots.len() >= 64 {
            roots.clear();
        }
        roots.insert(user_data_dir.to_path_buf(), root.clone());
        Some(root)
    }

    fn read(
        &self,
        location: &Location,
        selection: &Selection<'_>,
        source: &Source,
        clock: &Clock,
    ) -> Result<Vec<TaskRecord>> {
        self.pool.with_reader(&location.db_path, source.busy_timeout, |reader| {
            read_tasks(reader, &location.db_path, selection, clock.zone)
        })
    }
}

/// What one read transaction gave.
enum Read {
    /// The memo's evaluation, still valid at this snapshot.
    Remembered(Vec<Evaluated>),
    /// What was read at this `data_version`, not yet assembled into records.
    Fresh(Fetched, i64),
}

/// Worker logs found so far in one call, by order.
struct LogIndex {
    root: Option<PathBuf>,
    by_order: HashMap<(String, String), OrderLogs>,
    /// Whether `PROJECTS/<project>/RESULT` exists, by project: most databases'
    /// projects have no logs at all, and then no order needs looking at.
    has_results: HashMap<String, bool>,
}

#[derive(Default)]
struct OrderLogs {
    dir: Option<PathBuf>,
    by_task: HashMap<String, Vec<LogFile>>,
}

impl LogIndex {
    fn new(root: Option<PathBuf>) -> LogIndex {
        LogIndex {
            root,
            by_order: HashMap::new(),
            has_results: HashMap::new(),
        }
    }

    fn order_logs(&mut self, record: &TaskRecord, clock: &Clock) -> Option<&OrderLogs> {
        let (root, order) = (self.root.as_ref()?, record.task.order_id.as_ref()?);
        let project = &record.task.project_id;
        let has_results = *self.has_results.entry(project.clone()).or_insert_with(|| {
            is_safe_component(project) && root.join("PROJECTS").join(project).join("RESULT").is_dir()
        });
        Some(
            self.by_order
                .entry((project.clone(), order.clone()))
                .or_insert_with(|| {
                    let found = if has_results {
                        logs_dir(root, project, order)
                    } else {
                        None
                    };
                    let by_task = found
                        .as_deref()
                        .map(|d| scan_logs(d, root, clock.zone))
                        .unwrap_or_default();
                    // Where the folder will be, for a watcher to notice it appear.
                    let dir = found.or_else(|| expected_logs_dir(root, project, order));
                    OrderLogs { dir, by_task }
                }),
        )
    }

    /// The LOGS folder of the task's order (where it will be, if it does not exist yet).
    fn dir_of(&mut self, record: &TaskRecord, clock: &Clock) -> Option<PathBuf> {
        self.order_logs(record, clock)?.dir.clone()
    }

    /// The task's logs, oldest first (none if its ids cannot name a folder).
    fn task_logs(&mut self, record: &TaskRecord, clock: &Clock) -> &[LogFile] {
        let task_id = record.task.id.clone();
        self.order_logs(record, clock)
            .and_then(|o| o.by_task.get(&task_id))
            .map_or(&[], Vec::as_slice)
    }
}

pub(crate) fn check_id(name: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid_arg(format!("{name} must not be empty")));
    }
    if id.len() > MAX_ID_LEN {
        return Err(Error::invalid_arg(format!("{name} is longer than {MAX_ID_LEN} bytes")));
    }
    if id.contains('\0') {
        return Err(Error::invalid_arg(format!("{name} must not contain NUL characters")));
    }
    Ok(())
}
