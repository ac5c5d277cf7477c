//! The floor the addon is measured against: the same rows read with plain
//! rusqlite prepared statements (tasks, their history, their locks; one read
//! transaction, nothing inferred), timed side by side with the core's
//! `StepTracker` on the same database in the same process.
//!
//! `cargo run --release --example raw_read -- <db> <project> <task> <order> <iterations>`
//! prints one JSON line: per-operation microseconds and the overhead ratios.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use aipm_execution_steps::result::Presentation;
use aipm_execution_steps::time::Clock;
use aipm_execution_steps::tracker::{BatchFilter, Source, StepTracker};
use rusqlite::{Connection, OpenFlags};

const TASK_COLUMNS: &str = "id, project_id, status, order_id, title, assignee, started_at, updated_at";
const HISTORY_COLUMNS: &str = "entity_id, project_id, field_name, old_value, new_value, change_reason, changed_at";

/// Every status of SPEC §3.
const ALL_STATUSES: [&str; 13] = [
    "QUEUED", "BLOCKED", "IN_PROGRESS", "DONE", "IN_REVIEW", "REWORK", "COMPLETED", "CANCELLED", "SKIPPED",
    "REJECTED", "INTERRUPTED", "ESCALATED", "WAITING_INPUT",
];

/// One row's text columns, copied out as the addon does.
fn texts(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Vec<Option<String>>> {
    (0..n).map(|i| row.get::<_, Option<String>>(i)).collect()
}

/// Raw reads of one selection: `filter` is the WHERE clause on tasks, bound to `params`.
struct RawReader {
    conn: Connection,
}

impl RawReader {
    fn read(&self, filter: &str, params: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<usize> {
        self.conn.execute_batch("BEGIN")?;
        let mut n = 0;
        let mut tasks = self.conn.prepare_cached(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE {filter}"))?;
        let rows = tasks.query_map(params, |r| texts(r, 8))?;
        for row in rows {
            n += black_box(row?).len();
        }
        let mut history = self.conn.prepare_cached(&format!(
            "SELECT {HISTORY_COLUMNS} FROM change_history WHERE entity_type = 'task' \
             AND entity_id IN (SELECT id FROM tasks WHERE {filter}) \
             AND (project_id = ?1 OR project_id IS NULL) ORDER BY entity_id, changed_at, id"
        ))?;
        for row in history.query_map(params, |r| texts(r, 7))? {
            n += black_box(row?).len();
        }
        let mut locks = self.conn.prepare_cached(&format!(
            "SELECT task_id, COUNT(*), MIN(locked_at) FROM file_locks \
             WHERE project_id = ?1 AND task_id IN (SELECT id FROM tasks WHERE {filter}) GROUP BY task_id"
        ))?;
        for row in locks.query_map(params, |r| texts(r, 1))? {
            n += black_box(row?).len();
        }
        drop((tasks, history, locks));
        self.conn.execute_batch("COMMIT")?;
        Ok(n)
    }
}

/// Mean microseconds per call of `f` over `iterations` calls, after a warm-up.
fn time_us(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations.min(100) {
        f();
    }
    let started = Instant::now();
    for _ in 0..iterations {
        f();
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, project, task, order, iterations] = &args[..] else {
        eprintln!("usage: raw_read <db> <project> <task> <order> <iterations>");
        std::process::exit(2);
    };
    let iterations: u32 = iterations.parse().expect("iterations is a number");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let raw = RawReader { conn: Connection::open_with_flags(db, flags).expect("open the database") };

    let tracker = StepTracker::with_env(|_| None);
    let source = Source { db_path: Some(PathBuf::from(db)), ..Source::default() };
    let presentation = Presentation::default();
    let running = BatchFilter::default();
    // one order's tasks in every status, as a board view of the order would ask
    let all_statuses = ALL_STATUSES.iter().map(|s| s.to_string()).collect();
    let of_order = BatchFilter { order_id: Some(order.clone()), statuses: Some(all_statuses), task_ids: None };
    let raw_single = time_us(iterations, || {
        black_box(raw.read("project_id = ?1 AND id = ?2", &[project, task]).unwrap());
    });
    let core_single = time_us(iterations, || {
        black_box(tracker.task_step(project, task, &source, presentation, &Clock::system()).unwrap());
    });
    let batch_iterations = (iterations / 20).max(10);
    let raw_batch = time_us(batch_iterations, || {
        black_box(raw.read("project_id = ?1 AND status = 'IN_PROGRESS'", &[project]).unwrap());
    });
    let core_batch = time_us(batch_iterations, || {
        black_box(tracker.tasks_steps(project, &running, &source, presentation, &Clock::system()).unwrap());
    });
    let raw_order = time_us(batch_iterations, || {
        black_box(raw.read("project_id = ?1 AND order_id = ?2", &[project, order]).unwrap());
    });
    let core_order = time_us(batch_iterations, || {
        black_box(tracker.tasks_steps(project, &of_order, &source, presentation, &Clock::system()).unwrap());
    });
    println!(
        "{{\"raw_single_us\":{raw_single:.2},\"core_single_us\":{core_single:.2},\"single_overhead\":{:.2},\
         \"raw_batch_us\":{raw_batch:.2},\"core_batch_us\":{core_batch:.2},\"batch_overhead\":{:.2},\
         \"raw_order_us\":{raw_order:.2},\"core_order_us\":{core_order:.2},\"order_overhead\":{:.2}}}",
        core_single / raw_single,
        core_batch / raw_batch,
        core_order / raw_order,
    );
}
