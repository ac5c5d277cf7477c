//! Test databases in the real AI PM shape, built from our own DDL, with a
//! user-data folder beside them for worker logs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use aipm_execution_steps::result::{ExecutionStepInfo, Presentation};
use aipm_execution_steps::time::{Clock, Zone};
use aipm_execution_steps::tracker::{Source, StepTracker};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

pub const SCHEMA: &str = include_str!("../../__test__/fixtures/aipm-schema.sql");
pub const LEGACY_SCHEMA: &str = include_str!("../../__test__/fixtures/aipm-schema-legacy.sql");
pub const LOG_2001: &str = include_str!("../../__test__/fixtures/worker_TASK_2001_20261024_105205.log");
pub const LOG_2002: &str = include_str!("../../__test__/fixtures/worker_TASK_2002_20261024_105149.log");

pub const PROJECT: &str = "ai_pm_manager";
pub const ORDER: &str = "ORDER_119";

/// A user-data folder with `data/aipm.db` and `PROJECTS/`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub user_data: PathBuf,
    pub db_path: PathBuf,
    pub tracker: StepTracker,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_schema(SCHEMA)
    }

    pub fn with_schema(ddl: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let user_data = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(user_data.join("data")).unwrap();
        let db_path = user_data.join("data").join("aipm.db");
        Connection::open(&db_path).unwrap().execute_batch(ddl).unwrap();
        Fixture {
            dir,
            user_data,
            db_path,
            tracker: StepTracker::with_env(|_| None),
        }
    }

    pub fn conn(&self) -> Connection {
        Connection::open(&self.db_path).unwrap()
    }

    pub fn exec(&self, sql: &str) {
        self.conn().execute_batch(sql).unwrap();
    }

    /// A task; `updated_at` is written by Python in Japan time (no offset).
    pub fn task(&self, project: &str, id: &str, status: &str, assignee: Option<&str>) {
        self.task_in(project, ORDER, id, status, assignee, "2026-10-24T10:51:49");
    }

    pub fn task_in(
        &self,
        project: &str,
        order: &str,
        id: &str,
        status: &str,
        assignee: Option<&str>,
        updated_local: &str,
    ) {
        self.conn()
            .execute(
                "INSERT INTO tasks (id, project_id, order_id, title, status, assignee, started_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '2026-10-24T09:00:00', ?7)",
                params![id, project, order, format!("{id} のタスク"), status, assignee, updated_local],
            )
            .unwrap();
    }

    /// A change_history row; `changed_at` is UTC (`CURRENT_TIMESTAMP`). `project` NULL like the real writers.
    pub fn history(
        &self,
        project: Option<&str>,
        task: &str,
        field: &str,
        old: Option<&str>,
        new: &str,
        changed_at_utc: &str,
    ) {
        self.conn()
            .execute(
                "INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at) \
                 VALUES ('task', ?1, ?2, ?3, ?4, ?5, 'worker', ?6)",
                params![task, project, field, old, new, changed_at_utc],
            )
            .unwrap();
    }

    /// The rows a worker writes when it starts a task: the assignee, then the status, in one second.
    pub fn start(&self, task: &str, from: &str, worker: &str, at_utc: &str) {
        self.history(None, task, "assignee", None, worker, at_utc);
        self.history(None, task, "status", Some(from), "IN_PROGRESS", at_utc);
    }

    pub fn lock(&self, project: &str, task: &str, file: &str, at_utc: &str) {
        self.conn()
            .execute(
                "INSERT INTO file_locks (project_id, task_id, file_path, locked_at) VALUES (?1, ?2, ?3, ?4)",
                params![project, task, file, at_utc],
            )
            .unwrap();
    }

    /// Writes a worker log; `stamp` is the local launch time `YYYYMMDD_HHMMSS`.
    pub fn log(&self, project: &str, order: &str, task: &str, stamp: &str, text: &str) -> PathBuf {
        let dir = self
            .user_data
            .join("PROJECTS")
            .join(project)
            .join("RESULT")
            .join(order)
            .join("LOGS");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("worker_{task}_{stamp}.log"));
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn source(&self) -> Source {
        Source {
            db_path: Some(self.db_path.clone()),
            ..Source::default()
        }
    }

    pub fn step(&self, project: &str, task: &str, now_utc: &str) -> ExecutionStepInfo {
        self.step_with(
            project,
            task,
            now_utc,
            Presentation {
                verbose: true,
                ..Presentation::default()
            },
        )
    }

    pub fn step_with(&self, project: &str, task: &str, now_utc: &str, presentation: Presentation) -> ExecutionStepInfo {
        self.tracker
            .task_step(project, task, &self.source(), presentation, &clock(now_utc))
            .unwrap()
    }
}

/// Japan time, at the given UTC instant.
pub fn clock(now_utc: &str) -> Clock {
    Clock {
        zone: Zone::japan(),
        now: utc(now_utc),
    }
}

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// The log text up to and including the first line containing `marker`.
pub fn log_until(log: &str, marker: &str) -> String {
    let end = log.find(marker).expect("marker in log");
    let line_end = log[end..].find('\n').map_or(log.len(), |i| end + i + 1);
    log[..line_end].to_owned()
}

pub fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

pub fn statuses(info: &ExecutionStepInfo) -> Vec<&'static str> {
    info.steps.as_ref().unwrap().iter().map(|s| s.status).collect()
}
