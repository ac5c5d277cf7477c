//! The one write this package makes: appending a recorded step event to
//! `task_step_events` (created on first use from `sql/task_step_events.sql`).
//! Its own read-write connection, one short `BEGIN IMMEDIATE` transaction, a
//! busy timeout, and nothing else in the database touched.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::schema::{Schema, STEP_EVENTS_TABLE};
use crate::error::{Error, ErrorCode, Result};
use crate::step::StepEvent;
use crate::time::Instant;

/// The DDL of the recorded-events table, as shipped for the Python side.
pub const STEP_EVENTS_DDL: &str = include_str!("../../../sql/task_step_events.sql");

/// An event to record. `step` was checked to be a step or sub-step name.
#[derive(Clone, Debug)]
pub struct NewStepEvent<'a> {
    pub project_id: &'a str,
    pub task_id: &'a str,
    pub step: &'a str,
    pub event: StepEvent,
    pub detail: Option<&'a str>,
    pub recorded_at: Instant,
}

/// Appends `event` on `conn`, a read-write connection to the database at
/// `path`; refuses (writing nothing) if the task does not exist in its project.
pub fn record_step_event(conn: &mut Connection, path: &Path, event: &NewStepEvent<'_>) -> Result<()> {
    let sqlite = |e| Error::from_sqlite(e, path);
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    let schema = Schema::probe(&tx).map_err(sqlite)??;
    let exists = tx
        .query_row(
            "SELECT 1 FROM tasks WHERE id = ?1 AND project_id = ?2",
            params![event.task_id, event.project_id],
            |_| Ok(()),
        )
        .optional()
        .map_err(sqlite)?
        .is_some();
    if !exists {
        return Err(Error::new(
            ErrorCode::TaskNotFound,
            format!("task {} does not exist in project {}", event.task_id, event.project_id),
        ));
    }
    if schema.step_events.is_none() {
        tx.execute_batch(STEP_EVENTS_DDL).map_err(sqlite)?;
    }
    tx.execute(
        &format!(
            "INSERT INTO {STEP_EVENTS_TABLE} (project_id, task_id, step, event, detail, recorded_at, pid) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ),
        params![
            event.project_id,
            event.task_id,
            event.step,
            event.event.name().unwrap_or("info"),
            event.detail,
            event.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            std::process::id(),
        ],
    )
    .map_err(sqlite)?;
    tx.commit().map_err(sqlite)
}
