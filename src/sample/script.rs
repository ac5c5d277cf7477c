//! What the app's backend writes, in the order and the shapes it writes them
//! (docs/behaviour.md, "How a task moves", "Worker logs", "Review logs"): the
//! launcher daemon's launch, the worker's run, the review worker's review and
//! rework, the app's "run task" button, crash recovery.
//!
//! A [`Script`] is the list of [`Write`]s those processes make — one
//! transaction, one new file or one line appended each — with the time each
//! happens; [`Backend::apply`] carries one out. The sample database and the
//! tests build their user-data folders from scripts, and the replay tests
//! read the folder after every single write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::Duration;
use rusqlite::types::Value;
use rusqlite::Connection;

use crate::error::{Error, ErrorCode, Result};
use crate::step::Step;
use crate::time::{Instant, Zone};

/// The tables of a real AI PM database (`schema.sql`).
pub const SCHEMA: &str = include_str!("schema.sql");

/// The banner the worker prints before its first step line.
pub const BANNER: &str = "============================================================
[WARNING] 本番DB使用中 (execute_task.py)
AIPM_DB_PATH が未設定のため、本番DB（aipm.db）に直接アクセスします。
テスト・開発目的の場合は以下のように環境変数を設定してください:
  export AIPM_DB_PATH=data/test_aipm.db
  または: AIPM_DB_PATH=data/test_aipm.db python backend/worker/...
============================================================
";

/// The launcher daemon's name in `assignee` and `changed_by`.
const LAUNCHER: &str = "ParallelWorker";

/// One thing a backend process writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    pub at: Instant,
    pub what: What,
}

#[derive(Clone, Debug, PartialEq)]
pub enum What {
    /// One transaction: statements with their parameters.
    Db(Vec<(&'static str, Vec<Value>)>),
    /// A file created (or emptied) for writing.
    Create(PathBuf),
    /// Text appended to a file.
    Append(PathBuf, String),
}

/// A task as the backend sees it.
#[derive(Clone, Debug)]
pub struct Task {
    pub project: String,
    pub order: String,
    pub id: String,
    pub title: String,
    /// The label its worker gets (`Worker A`: labels are per project).
    pub worker: String,
    /// `target_files`: the files its worker locks.
    pub targets: Vec<String>,
}

impl Task {
    pub fn new(project: &str, order: &str, id: &str, worker: &str) -> Task {
        Task {
            project: project.into(),
            order: order.into(),
            id: id.into(),
            title: format!("{id} のタスク"),
            worker: worker.into(),
            targets: Vec::new(),
        }
    }

    pub fn with_targets(mut self, targets: &[&str]) -> Task {
        self.targets = targets.iter().map(|t| (*t).to_owned()).collect();
        self
    }
}

/// How long the parts of a run take, in seconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pace {
    /// From the launch to the worker's first line (its interpreter starting).
    pub start: i64,
    pub get_task_info: i64,
    pub assign_worker: i64,
    pub execute_task: i64,
    pub create_report: i64,
    pub update_status_done: i64,
    /// The review's model call.
    pub review: i64,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace {
            start: 1,
            get_task_info: 1,
            assign_worker: 1,
            execute_task: 300,
            create_report: 4,
            update_status_done: 1,
            review: 60,
        }
    }
}

/// How a worker run ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Completes,
    /// `[error] failed: <message>` in this step.
    Fails(Step, String),
    /// The process dies in this step: nothing more is written.
    Dies(Step),
}

/// The review worker's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approved,
    /// Rejected; with auto-rework, the rework run in the review log, ending so.
    Rejected(Option<Ending>),
    /// The review's model call failed: escalated (`process_review.py`).
    Escalated,
}

/// Where a worker's output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    /// A log file (the daemon's, the review log, or the app's kept output).
    Log(PathBuf),
    /// The app's pipe, kept nowhere.
    Nowhere,
}

/// What the backend last wrote of a task: the old values of its next rows.
#[derive(Clone, Debug, Default)]
struct Known {
    status: String,
    assignee: Option<String>,
    reject_count: i64,
}

/// The writes of backend processes, in time order.
pub struct Script {
    root: PathBuf,
    zone: Zone,
    now: Instant,
    writes: Vec<Write>,
    known: HashMap<(String, String), Known>,
}

impl Script {
    /// A script for the user-data folder `root`, writers in `zone`, from `start`.
    pub fn new(root: &Path, zone: Zone, start: Instant) -> Script {
        Script {
            root: root.to_path_buf(),
            zone,
            now: start,
            writes: Vec::new(),
            known: HashMap::new(),
        }
    }

    pub fn now(&self) -> Instant {
        self.now
    }

    /// Lets `seconds` pass.
    pub fn wait(&mut self, seconds: i64) -> &mut Script {
        self.now += Duration::seconds(seconds);
        self
    }

    pub fn writes(&self) -> &[Write] {
        &self.writes
    }

    pub fn into_writes(self) -> Vec<Write> {
        self.writes
    }

    /// The LOGS folder of a task's order.
    pub fn logs_dir(&self, task: &Task) -> PathBuf {
        self.root
            .join("PROJECTS")
            .join(&task.project)
            .join("RESULT")
            .join(&task.order)
            .join("LOGS")
    }

    /// The worker log the daemon names for a launch of `task` now.
    pub fn worker_log_path(&self, task: &Task) -> PathBuf {
        let stamp = self.zone.local(self.now).format("%Y%m%d_%H%M%S");
        self.logs_dir(task).join(format!("worker_{}_{stamp}.log", task.id))
    }

    /// The review log of a task id (one per id: its name has no project).
    pub fn review_log_path(&self, task: &Task) -> PathBuf {
        self.root
            .join("logs")
            .join("review_workers")
            .join(format!("{}_review.log", task.id))
    }

    // ---- the processes -------------------------------------------------

    /// A task created in `status` (QUEUED, BLOCKED, …).
    pub fn add_task(&mut self, task: &Task, status: &str) -> &mut Script {
        let targets = (!task.targets.is_empty()).then(|| serde_json::to_string(&task.targets).unwrap_or_default());
        let now = self.python_local();
        self.db(vec![(
            "INSERT INTO tasks (id, project_id, order_id, title, status, target_files, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            vec![
                text(&task.id),
                text(&task.project),
                text(&task.order),
                text(&task.title),
                text(status),
                targets.map_or(Value::Null, Value::Text),
                Value::Text(now),
            ],
        )]);
        self.known.insert(
            key(task),
            Known {
                status: status.into(),
                ..Known::default()
            },
        );
        self
    }

    /// The launcher daemon launches a QUEUED task (`parallel_launcher.py`):
    /// its file locks, then assignee → `ParallelWorker` and QUEUED →
    /// IN_PROGRESS in one transaction, then the worker log it redirects the
    /// worker's output to. Returns the log.
    pub fn daemon_launch(&mut self, task: &Task) -> PathBuf {
        self.take_locks(task);
        let by = format!("Worker ({LAUNCHER})");
        let mut tx = Vec::new();
        tx.extend(self.assignee_row(task, LAUNCHER, &by, None));
        tx.extend(self.status_rows(task, "IN_PROGRESS", &by, None));
        self.db(tx);
        let log = self.worker_log_path(task);
        self.push(What::Create(log.clone()));
        log
    }

    /// The daemon launches `task` and its worker runs into the log it made,
    /// ending so. Returns the log.
    pub fn daemon_run(&mut self, task: &Task, ending: &Ending, pace: Pace) -> PathBuf {
        let log = self.daemon_launch(task);
        self.worker_run(task, &Out::Log(log.clone()), ending, pace);
        log
    }

    /// The worker (`execute_task.py --verbose`) runs the pipeline for `task`,
    /// its output going to `out`. Started by the daemon (the task is
    /// IN_PROGRESS), by hand (QUEUED), or for a rework (REWORK).
    pub fn worker_run(&mut self, task: &Task, out: &Out, ending: &Ending, pace: Pace) -> &mut Script {
        self.wait(pace.start);
        self.text(out, BANNER);
        self.pipeline(task, out, ending, pace);
        self
    }

    /// The app's "run task" button on a REWORK task
    /// (`execute_task.py <project> <task> --json --verbose --loop --is-rework`):
    /// its output goes to the app's pipe, or to `out` where the app keeps it;
    /// with `then`, the loop goes on with that task of the order.
    pub fn button_run(
        &mut self,
        task: &Task,
        out: &Out,
        ending: &Ending,
        then: Option<&Task>,
        pace: Pace,
    ) -> &mut Script {
        if let Out::Log(path) = out {
            self.push(What::Create(path.clone()));
        }
        self.worker_run(task, out, ending, pace);
        self.json_result(task, out, ending);
        if let Some(next) = then.filter(|_| *ending == Ending::Completes) {
            self.line(
                out,
                "[next_task_check] info: 次タスク選定: {next} (依存関係クリア)".replace("{next}", &next.id),
            );
            self.line(out, format!("[next_task] found: next={}", next.id));
            self.text(out, &format!("\n【次タスク起動】{}\n", next.id));
            self.pipeline(next, out, &Ending::Completes, pace);
            self.json_result(next, out, &Ending::Completes);
        }
        self
    }

    /// The daemon starts the review worker on a DONE task: a new review log
    /// (`<task>_review.log`, written over), the review, its verdict.
    pub fn review(&mut self, task: &Task, verdict: &Verdict, pace: Pace) -> PathBuf {
        let path = self.review_log_path(task);
        let out = Out::Log(path.clone());
        self.push(What::Create(path.clone()));
        let id = &task.id;
        self.own(&out, &format!("[VALIDATE] start - {}/{id}", task.project));
        self.own(&out, "[VALIDATE] success - バリデーション完了");
        self.own(&out, &format!("[CHECK_STATUS] start - task={id}"));
        self.own(&out, "[CHECK_STATUS] success - status=DONE");
        self.own(&out, "[EXECUTE_REVIEW] start - model=sonnet");
        self.line(&out, format!("[get_task_info] start: {id}"));
        self.line(
            &out,
            format!(
                "[get_task_info] success: order={}, status=DONE, reviewed_at=NULL",
                task.order
            ),
        );
        self.line(&out, "[read_report] success: 05_REPORT/REPORT.md (566文字)");
        self.line(
            &out,
            "[start_review] success: レビュー開始（tasks.status=DONE, reviewed_at=NULL）",
        );
        self.line(&out, "[execute_review] start: model=sonnet");
        self.line(&out, "[claude_cli] Executing: claude -p (model=sonnet, timeout=600s)");
        self.wait(pace.review);
        let by = format!("PM ({})", task.worker);
        let verdict_name = match verdict {
            Verdict::Approved => {
                self.line(&out, "[execute_review] success: verdict=APPROVED");
                self.line(&out, "[update_status] start: APPROVED");
                let reviewed = self.python_local();
                let mut tx = self.status_rows(task, "COMPLETED", &by, Some("レビュー承認"));
                tx.push((
                    "UPDATE tasks SET reviewed_at = ?1, completed_at = ?1 WHERE project_id = ?2 AND id = ?3",
                    vec![Value::Text(reviewed.clone()), text(&task.project), text(id)],
                ));
                self.db(tx);
                self.line(
                    &out,
                    format!("[update_status] success: COMPLETED, reviewed_at={reviewed}"),
                );
                self.release_locks(task, Some((&out, "[release_locks] success: ロック解放完了")));
                "APPROVED"
            }
            Verdict::Rejected(rework) => {
                self.line(&out, "[execute_review] success: verdict=REJECTED");
                self.line(&out, "[update_status] start: REJECTED");
                let reviewed = self.python_local();
                let count = self.known(task).reject_count + 1;
                self.known_mut(task).reject_count = count;
                let mut tx = vec![(
                    "UPDATE tasks SET reviewed_at = ?1, reject_count = ?2 WHERE project_id = ?3 AND id = ?4",
                    vec![
                        Value::Text(reviewed.clone()),
                        Value::Integer(count),
                        text(&task.project),
                        text(id),
                    ],
                )];
                tx.extend(self.status_rows(task, "REWORK", &by, Some("レビュー差し戻し")));
                self.db(tx);
                self.line(
                    &out,
                    format!("[update_status] success: REWORK (reject_count={count}, reviewed_at={reviewed})"),
                );
                self.release_locks(task, Some((&out, "[release_locks] success: ロック解放完了")));
                if let Some(ending) = rework {
                    self.line(&out, format!("[auto_rework] start: task={id}"));
                    self.pipeline(task, &out, ending, pace);
                    match ending {
                        Ending::Completes => self.line(&out, "[auto_rework] success: リワーク完了、verdict=None"),
                        Ending::Fails(..) => self.line(&out, "[auto_rework] warning: リワーク失敗"),
                        Ending::Dies(_) => return path,
                    };
                }
                "REJECTED"
            }
            Verdict::Escalated => {
                self.line(&out, "[execute_review] warning: AI実行失敗: Timeout after 600 seconds");
                self.line(&out, "[update_status] start: ESCALATED");
                self.line(&out, "[escalation] start: ");
                let reviewed = self.python_local();
                self.db(vec![(
                    "UPDATE tasks SET reviewed_at = ?1 WHERE project_id = ?2 AND id = ?3",
                    vec![Value::Text(reviewed.clone()), text(&task.project), text(id)],
                )]);
                let tx = self.status_rows(task, "ESCALATED", &by, Some("レビューESCALATED"));
                self.db(tx);
                self.line(
                    &out,
                    format!("[escalation] info: task=DONE→ESCALATED, reviewed_at={reviewed}"),
                );
                self.line(&out, "[pm_auto_judge] start: escalation_count=0/2");
                "ESCALATED"
            }
        };
        self.line(&out, format!("[complete] success: レビュー完了: {verdict_name}"));
        self.own(&out, &format!("[EXECUTE_REVIEW] success - verdict={verdict_name}"));
        self.text(&out, &format!("[OK] レビュー完了: {id} → {verdict_name}\n"));
        path
    }

    /// The daemon's crash recovery of an orphaned IN_PROGRESS task: back to
    /// QUEUED (tagged with the project, Python's local time), locks released.
    pub fn crash_recovery(&mut self, task: &Task) -> &mut Script {
        let tx = self.tagged_status(task, "QUEUED", "System(crash_recovery)", "孤立タスク回復");
        self.db(tx);
        self.release_locks(task, None);
        self
    }

    /// A status change by the daemon's checks (`DaemonHealthCheck`,
    /// `DaemonTimeoutCheck`): tagged with the project, Python's local time.
    pub fn daemon_status(&mut self, task: &Task, to: &str, by: &str, reason: &str) -> &mut Script {
        let tx = self.tagged_status(task, to, by, reason);
        self.db(tx);
        self
    }

    // ---- the worker's pipeline ----------------------------------------

    fn pipeline(&mut self, task: &Task, out: &Out, ending: &Ending, pace: Pace) {
        let id = task.id.clone();
        let status = self.known(task).status.clone();
        let keeps_status = status == "IN_PROGRESS" || status == "REWORK";
        let fails = |step: Step| match ending {
            Ending::Fails(s, message) if *s == step => Some(Some(message.clone())),
            Ending::Dies(s) if *s == step => Some(None),
            _ => None,
        };
        macro_rules! fail_here {
            ($step:expr) => {
                if let Some(failure) = fails($step) {
                    if let Some(message) = failure {
                        self.line(out, format!("[error] failed: {message}"));
                        self.line(out, "[self_healing] start: Handling execution failure");
                        self.release_locks(
                            task,
                            Some((out, "[file_lock_release] success: エラー時ロック解放")),
                        );
                    }
                    return;
                }
            };
        }
        self.line(out, format!("[get_task_info] start: {id}"));
        fail_here!(Step::GetTaskInfo);
        self.wait(pace.get_task_info);
        let rejected = self.known(task).reject_count;
        self.line(
            out,
            format!(
                "[get_task_info] success: order={}, model=opus, reject_count={rejected}",
                task.order
            ),
        );
        self.line(out, "[permission_profile] success: profile=document, tools=6個");

        let mode = if status == "REWORK" { "リワーク" } else { "通常" };
        self.line(out, format!("[assign_worker] start: mode={mode}"));
        if keeps_status {
            let cleanup = format!("[file_lock_cleanup] success: REWORK再実行前にロック解放 (status={status})");
            self.release_locks(task, Some((out, &cleanup)));
        }
        self.wait(pace.assign_worker);
        fail_here!(Step::AssignWorker);
        if task.targets.is_empty() {
            self.line(out, "[file_lock] skip: 対象ファイル未指定");
        } else {
            self.take_locks(task);
            self.line(
                out,
                format!("[file_lock] success: ロック取得: {}ファイル", task.targets.len()),
            );
        }
        fail_here!(Step::FileLock);
        let by = format!("Worker ({})", task.worker);
        if keeps_status {
            let mode = if status == "REWORK" {
                "REWORK（リワーク）"
            } else {
                "IN_PROGRESS（再実行）"
            };
            let assignee = self.known(task).assignee.clone().unwrap_or_default();
            self.line(
                out,
                format!("[assign_worker] info: タスクは{mode}状態 - ステータス維持モード (assignee={assignee})"),
            );
            if assignee != task.worker {
                self.line(
                    out,
                    format!(
                        "[assign_worker] warning: Workerが変更されます: {assignee} → {}",
                        task.worker
                    ),
                );
                let reason = format!("{status}維持 - Worker割当更新");
                let tx = self.assignee_row(task, &task.worker, &by, Some(&reason));
                self.db(tx);
            }
            self.line(
                out,
                format!("[assign_worker] success: worker={} ({mode}モード)", task.worker),
            );
        } else {
            let mut tx = self.assignee_row(task, &task.worker, &by, None);
            tx.extend(self.status_rows(task, "IN_PROGRESS", &by, None));
            self.db(tx);
            self.line(out, format!("[assign_worker] success: worker={}", task.worker));
        }

        self.line(
            out,
            "[execute_task] start: model=opus, profile=document, allowed_tools=6個",
        );
        self.line(out, format!("[create_checkpoint] success: checkpoint={id}"));
        self.line(out, "[claude_cli] Executing: claude -p (model=opus, timeout=1800s)");
        self.wait(pace.execute_task);
        fail_here!(Step::ExecuteTask);
        self.line(out, "[execute_task] success: ");
        self.line(out, "[self_verification] skip: 成果物パス取得不可");
        self.line(out, "[create_report] start: ");
        self.wait(pace.create_report);
        fail_here!(Step::CreateReport);
        self.line(
            out,
            format!("[create_report] success: 05_REPORT/REPORT_{id}.md (566バイト)"),
        );
        self.line(out, "[convert_report_to_html] warning: HTML変換失敗（継続）");
        self.line(out, "[update_status_done] start: ");
        self.wait(pace.update_status_done);
        fail_here!(Step::UpdateStatusDone);
        let mut tx = self.status_rows(task, "DONE", &by, None);
        if status == "REWORK" {
            tx.push((
                "UPDATE tasks SET reviewed_at = NULL WHERE project_id = ?1 AND id = ?2",
                vec![text(&task.project), text(&id)],
            ));
        }
        self.db(tx);
        self.line(out, "[update_status_done] success: status=DONE");
        self.release_locks(task, Some((out, "[file_lock_release] success: ロック解放完了")));
        self.line(out, "[auto_review] skipped: レビューはreview_workerで実行されます");
        self.line(out, "[complete] success: Worker処理完了");
    }

    /// What `--json` prints after a run (stdout, mixed with the log lines).
    fn json_result(&mut self, task: &Task, out: &Out, ending: &Ending) {
        let success = *ending == Ending::Completes;
        self.text(
            out,
            &format!(
                "{{\n  \"success\": {success},\n  \"project_id\": \"{}\",\n  \"task_id\": \"{}\"\n}}\n",
                task.project, task.id
            ),
        );
    }

    // ---- rows -----------------------------------------------------------

    fn take_locks(&mut self, task: &Task) {
        if task.targets.is_empty() {
            return;
        }
        let at = Value::Text(self.python_local());
        let tx = task
            .targets
            .iter()
            .map(|file| {
                (
                    "INSERT OR REPLACE INTO file_locks (project_id, task_id, file_path, locked_at) VALUES (?1, ?2, ?3, ?4)",
                    vec![text(&task.project), text(&task.id), text(file), at.clone()],
                )
            })
            .collect();
        self.db(tx);
    }

    /// Releases the task's locks (when it has target files) and logs `line`.
    fn release_locks(&mut self, task: &Task, line: Option<(&Out, &str)>) {
        if !task.targets.is_empty() {
            self.db(vec![(
                "DELETE FROM file_locks WHERE project_id = ?1 AND task_id = ?2",
                vec![text(&task.project), text(&task.id)],
            )]);
        }
        if let Some((out, line)) = line {
            self.line(out, line);
        }
    }

    /// An assignee change (`task/update.py` writes none when nothing changes).
    fn assignee_row(
        &mut self,
        task: &Task,
        to: &str,
        by: &str,
        reason: Option<&str>,
    ) -> Vec<(&'static str, Vec<Value>)> {
        let old = self.known(task).assignee.clone();
        if old.as_deref() == Some(to) {
            return Vec::new();
        }
        self.known_mut(task).assignee = Some(to.into());
        vec![
            (
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, change_reason, changed_at) \
                 VALUES ('task', ?1, NULL, 'assignee', ?2, ?3, ?4, ?5, ?6)",
                vec![
                    text(&task.id),
                    old.map_or(Value::Null, Value::Text),
                    text(to),
                    text(by),
                    reason.map_or(Value::Null, text),
                    Value::Text(self.sqlite_utc()),
                ],
            ),
            (
                "UPDATE tasks SET assignee = ?1, updated_at = ?2 WHERE project_id = ?3 AND id = ?4",
                vec![text(to), Value::Text(self.python_local()), text(&task.project), text(&task.id)],
            ),
        ]
    }

    /// A status change as `task/update.py` writes it: the history row (project
    /// NULL, SQLite's UTC time) and the task (`started_at` on its first move to
    /// IN_PROGRESS).
    fn status_rows(
        &mut self,
        task: &Task,
        to: &str,
        by: &str,
        reason: Option<&str>,
    ) -> Vec<(&'static str, Vec<Value>)> {
        let from = std::mem::replace(&mut self.known_mut(task).status, to.into());
        let now = Value::Text(self.python_local());
        vec![
            (
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, change_reason, changed_at) \
                 VALUES ('task', ?1, NULL, 'status', ?2, ?3, ?4, ?5, ?6)",
                vec![
                    text(&task.id),
                    text(&from),
                    text(to),
                    text(by),
                    reason.map_or(Value::Null, text),
                    Value::Text(self.sqlite_utc()),
                ],
            ),
            (
                "UPDATE tasks SET status = ?1, updated_at = ?2, \
                 started_at = CASE WHEN ?1 = 'IN_PROGRESS' THEN coalesce(started_at, ?2) ELSE started_at END \
                 WHERE project_id = ?3 AND id = ?4",
                vec![text(to), now, text(&task.project), text(&task.id)],
            ),
        ]
    }

    /// A status change by the daemon: project set, Python's local time with a `T`.
    fn tagged_status(&mut self, task: &Task, to: &str, by: &str, reason: &str) -> Vec<(&'static str, Vec<Value>)> {
        let from = std::mem::replace(&mut self.known_mut(task).status, to.into());
        let now = Value::Text(self.python_local());
        vec![
            (
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, change_reason, changed_at) \
                 VALUES ('task', ?1, ?2, 'status', ?3, ?4, ?5, ?6, ?7)",
                vec![
                    text(&task.id),
                    text(&task.project),
                    text(&from),
                    text(to),
                    text(by),
                    text(reason),
                    now.clone(),
                ],
            ),
            (
                "UPDATE tasks SET status = ?1, updated_at = ?2 WHERE project_id = ?3 AND id = ?4",
                vec![text(to), now, text(&task.project), text(&task.id)],
            ),
        ]
    }

    // ---- output -----------------------------------------------------------

    /// A step line in the worker's shape: `<local time> [INFO] [<sub>] <event>: <detail>`.
    fn line(&mut self, out: &Out, line: impl AsRef<str>) {
        let text = format!("{} [INFO] {}\n", self.log_time(), line.as_ref());
        self.text(out, &text);
    }

    /// The review worker's own line: `<time> [INFO] [<time>] [<PHASE>] <status> - <detail>`.
    fn own(&mut self, out: &Out, what: &str) {
        let t = self.log_time();
        self.text(out, &format!("{t} [INFO] [{t}] {what}\n"));
    }

    fn text(&mut self, out: &Out, text: &str) {
        if let Out::Log(path) = out {
            self.push(What::Append(path.clone(), text.to_owned()));
        }
    }

    fn db(&mut self, statements: Vec<(&'static str, Vec<Value>)>) {
        if !statements.is_empty() {
            self.push(What::Db(statements));
        }
    }

    fn push(&mut self, what: What) {
        self.writes.push(Write { at: self.now, what });
    }

    fn known(&mut self, task: &Task) -> &Known {
        self.known.entry(key(task)).or_default()
    }

    fn known_mut(&mut self, task: &Task) -> &mut Known {
        self.known.entry(key(task)).or_default()
    }

    /// Python's `datetime.now().isoformat()`: local time with a `T`, microseconds.
    fn python_local(&self) -> String {
        self.zone.local(self.now).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }

    /// SQLite's `CURRENT_TIMESTAMP`: UTC, whole seconds.
    fn sqlite_utc(&self) -> String {
        self.now.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    fn log_time(&self) -> String {
        self.zone.local(self.now).format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

fn key(task: &Task) -> (String, String) {
    (task.project.clone(), task.id.clone())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// A user-data folder the scripts write into: `data/aipm.db` with the real
/// schema, `PROJECTS/`, `logs/`.
pub struct Backend {
    pub root: PathBuf,
    pub db_path: PathBuf,
    conn: Connection,
}

impl Backend {
    /// A new user-data folder at `root` (which must not hold a database yet), in
    /// WAL mode as the app keeps it, or with a rollback journal.
    pub fn create(root: &Path, wal: bool) -> Result<Backend> {
        let io = |e: std::io::Error| Error::new(ErrorCode::DbIo, format!("cannot write in {}: {e}", root.display()));
        let data = root.join("data");
        std::fs::create_dir_all(&data).map_err(io)?;
        let db_path = data.join("aipm.db");
        if db_path.exists() {
            return Err(Error::invalid_value(format!(
                "refusing to overwrite an existing database: {}",
                db_path.display()
            )));
        }
        crate::io::db::locking::install();
        let sqlite = |e| Error::from_sqlite(e, &db_path);
        let conn = Connection::open(&db_path).map_err(sqlite)?;
        if wal {
            conn.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        }
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA}; {}; COMMIT;",
            crate::io::db::write::STEP_EVENTS_DDL
        ))
        .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sqlite)?;
        Ok(Backend {
            root: root.to_path_buf(),
            db_path,
            conn,
        })
    }

    /// The backend's connection (as the Python writers', read-write).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Carries out one write.
    pub fn apply(&self, write: &Write) -> Result<()> {
        let io = |path: &Path, e: std::io::Error| {
            Error::new(ErrorCode::DbIo, format!("cannot write {}: {e}", path.display()))
        };
        match &write.what {
            What::Db(statements) => {
                let sqlite = |e| Error::from_sqlite(e, &self.db_path);
                let tx = self.conn.unchecked_transaction().map_err(sqlite)?;
                for (sql, params) in statements {
                    tx.execute(sql, rusqlite::params_from_iter(params)).map_err(sqlite)?;
                }
                tx.commit().map_err(sqlite)
            }
            What::Create(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
                }
                std::fs::write(path, b"").map_err(|e| io(path, e))
            }
            What::Append(path, text) => {
                use std::io::Write as _;
                let mut file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(|e| io(path, e))?;
                file.write_all(text.as_bytes()).map_err(|e| io(path, e))
            }
        }
    }

    /// Carries out every write.
    pub fn apply_all<'a>(&self, writes: impl IntoIterator<Item = &'a Write>) -> Result<()> {
        writes.into_iter().try_for_each(|w| self.apply(w))
    }
}
