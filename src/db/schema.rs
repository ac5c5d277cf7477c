//! What the database at hand has (SPEC §3): real databases have more columns
//! than this product reads, older ones fewer, so tables and columns are probed
//! with `pragma_table_info` and the queries are built from what exists. Only
//! the fixed identifiers below are ever put into SQL text; values are bound.

use rusqlite::Connection;

use crate::error::{Error, ErrorCode};

/// The table this package writes recorded step events to.
pub const STEP_EVENTS_TABLE: &str = "task_step_events";

/// Column names of one table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns(Vec<String>);

impl Columns {
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.has(n))
    }

    /// `name` if the table has it, else `NULL`, for a select list.
    fn or_null(&self, name: &'static str) -> &'static str {
        if self.has(name) {
            name
        } else {
            "NULL"
        }
    }
}

/// The tables this product reads, as they are in this database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub tasks: Columns,
    /// `None` if missing or without the columns the history rules need.
    pub change_history: Option<Columns>,
    pub file_locks: Option<Columns>,
    pub step_events: Option<Columns>,
}

impl Schema {
    /// Probes the schema in one statement. A database without a usable `tasks`
    /// table is not an AI PM database.
    pub fn probe(conn: &Connection) -> rusqlite::Result<Result<Schema, Error>> {
        let mut stmt = conn.prepare_cached(
            "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
             WHERE m.type IN ('table', 'view') \
             AND m.name IN ('tasks', 'change_history', 'file_locks', 'task_step_events') \
             ORDER BY m.name, p.cid",
        )?;
        let mut tables: [Columns; 4] = Default::default();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            let column: String = row.get(1)?;
            let slot = match table.as_str() {
                "tasks" => 0,
                "change_history" => 1,
                "file_locks" => 2,
                _ => 3,
            };
            tables[slot].0.push(column);
        }
        let [tasks, history, locks, events] = tables;
        if !tasks.has_all(&["id", "project_id", "status"]) {
            return Ok(Err(Error::new(
                ErrorCode::NotAipmDb,
                "not an AI PM database: no tasks table with id, project_id and status",
            )));
        }
        let usable = |c: Columns, needed: &[&str]| c.has_all(needed).then_some(c);
        Ok(Ok(Schema {
            tasks,
            change_history: usable(history, &["entity_type", "entity_id", "field_name", "new_value"]),
            file_locks: usable(locks, &["task_id"]),
            step_events: usable(events, &["project_id", "task_id", "step", "event"]),
        }))
    }

    /// `SELECT … FROM tasks` with the columns [`crate::db::read::TaskRow`] reads, in its order.
    pub fn select_tasks(&self) -> String {
        let t = &self.tasks;
        format!(
            "SELECT id, project_id, status, {}, {}, {}, {}, {}, {} FROM tasks",
            t.or_null("order_id"),
            t.or_null("title"),
            t.or_null("assignee"),
            t.or_null("started_at"),
            t.or_null("updated_at"),
            t.or_null("metadata"),
        )
    }

    /// The task query for a selection: `:project`, and as given `:ids`, `:order`, `:statuses`.
    /// `None` when the selection filters on a column this database lacks (nothing can match).
    pub fn tasks_query(&self, ids: bool, order: bool, statuses: bool) -> Option<String> {
        if order && !self.tasks.has("order_id") {
            return None;
        }
        let mut sql = self.select_tasks();
        sql.push_str(" WHERE project_id = :project");
        if ids {
            sql.push_str(" AND id IN (SELECT value FROM json_each(:ids))");
        }
        if order {
            sql.push_str(" AND order_id = :order");
        }
        if statuses {
            sql.push_str(" AND status IN (SELECT value FROM json_each(:statuses))");
        }
        Some(sql)
    }

    /// Ids among `:ids` that another project also has.
    pub fn shared_ids_query(&self) -> &'static str {
        "SELECT DISTINCT id FROM tasks WHERE id IN (SELECT value FROM json_each(:ids)) AND project_id <> :project"
    }

    /// History rows of the tasks `:ids`: this project's, or with NULL project.
    pub fn history_query(&self) -> Option<String> {
        let h = self.change_history.as_ref()?;
        let order_key = if h.has("id") { "id" } else { "rowid" };
        let project_filter = if h.has("project_id") {
            " AND (project_id = :project OR project_id IS NULL)"
        } else {
            ""
        };
        Some(format!(
            "SELECT entity_id, {}, field_name, {}, new_value, {}, {} FROM change_history \
             WHERE entity_type = 'task' AND entity_id IN (SELECT value FROM json_each(:ids)){project_filter} \
             ORDER BY entity_id, {}, {order_key}",
            h.or_null("project_id"),
            h.or_null("old_value"),
            h.or_null("change_reason"),
            h.or_null("changed_at"),
            h.or_null("changed_at"),
        ))
    }

    /// Locks held on the tasks `:ids`: count and earliest time per task.
    pub fn locks_query(&self) -> Option<String> {
        let l = self.file_locks.as_ref()?;
        let project_filter = if l.has("project_id") {
            " AND project_id = :project"
        } else {
            ""
        };
        Some(format!(
            "SELECT task_id, COUNT(*), MIN({}) FROM file_locks \
             WHERE task_id IN (SELECT value FROM json_each(:ids)){project_filter} GROUP BY task_id",
            l.or_null("locked_at"),
        ))
    }

    /// Recorded step events of the tasks `:ids` in this project, in insertion order.
    pub fn events_query(&self) -> Option<String> {
        let e = self.step_events.as_ref()?;
        let order_key = if e.has("id") { "id" } else { "rowid" };
        Some(format!(
            "SELECT task_id, step, event, {}, {} FROM {STEP_EVENTS_TABLE} \
             WHERE project_id = :project AND task_id IN (SELECT value FROM json_each(:ids)) \
             ORDER BY task_id, {order_key}",
            e.or_null("detail"),
            e.or_null("recorded_at"),
        ))
    }
}
