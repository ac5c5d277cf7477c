//! The floor the addon is measured against: the same rows read with plain
//! rusqlite prepared statements (tasks, their history, their locks; one read
//! transaction, nothing inferred), timed side by side with the core's
//! `StepTracker` on the same database in the same process.
//!
//! Each is timed twice: on an unchanged database (the core answers from its
//! memo of the last read) and right after another connection committed (an
//! unrelated row of `projects`, so the answers stay the same): then both read,
//! and the ratio is the core's overhead over the bare read.
//!
//! `cargo run --release --example raw_read -- <db> <project> <task> <order> <iterations>`
//! prints one JSON line: per-operation microseconds and the overhead ratios.
//! It writes `projects.updated_at` of the last project; nothing else.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use aipm_execution_steps::db::pool::Reader;
use aipm_execution_steps::db::read::{in_read_transaction, read_selected, Selection};
use aipm_execution_steps::result::Presentation;
use aipm_execution_steps::time::{Clock, Zone};
use aipm_execution_steps::tracker::{BatchFilter, Source, StepTracker};
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, OpenFlags};

const TASK_COLUMNS: &str = "id, project_id, status, order_id, title, assignee, started_at, updated_at";
const HISTORY_COLUMNS: &str = "entity_id, project_id, field_name, old_value, new_value, change_reason, changed_at";

/// Every status of SPEC §3.
const ALL_STATUSES: [&str; 13] = [
    "QUEUED",
    "BLOCKED",
    "IN_PROGRESS",
    "DONE",
    "IN_REVIEW",
    "REWORK",
    "COMPLETED",
    "CANCELLED",
    "SKIPPED",
    "REJECTED",
    "INTERRUPTED",
    "ESCALATED",
    "WAITING_INPUT",
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
        let mut tasks = self
            .conn
            .prepare_cached(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE {filter}"))?;
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

thread_local! {
    static STATEMENTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many SQL statements the core's read of `selection` runs (warm connection, memo not consulted).
fn statements_of(db: &str, selection: &Selection<'_>) -> (usize, usize) {
    fn count(event: TraceEvent<'_>) {
        if let TraceEvent::Profile(..) = event {
            STATEMENTS.with(|n| n.set(n.get() + 1));
        }
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db, flags).expect("open the database");
    conn.trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(count));
    let mut reader = Reader::new(conn);
    let path = std::path::Path::new(db);
    // as StepTracker reads: data_version and the data in one transaction
    let read = |reader: &mut Reader| {
        in_read_transaction(reader, path, |reader| {
            reader.data_version()?;
            read_selected(reader, selection, Zone::Local)
        })
        .expect("read")
    };
    read(&mut reader);
    STATEMENTS.with(|n| n.set(0));
    let tasks = read(&mut reader).assemble(selection, Zone::Local).len();
    (STATEMENTS.with(std::cell::Cell::get), tasks)
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

/// Mean microseconds per call of `f`, each call right after `writer` committed (not timed).
fn time_after_commit_us(iterations: u32, writer: &Connection, mut f: impl FnMut()) -> f64 {
    let mut total = std::time::Duration::ZERO;
    for i in 0..iterations {
        // a value that differs each time: SQLite commits nothing for an update that changes nothing
        writer
            .execute(
                "UPDATE projects SET updated_at = datetime('now', ?1 || ' seconds') WHERE id = (SELECT MAX(id) FROM projects)",
                [i.to_string()],
            )
            .expect("commit an unrelated change");
        let started = Instant::now();
        f();
        total += started.elapsed();
    }
    total.as_secs_f64() * 1e6 / f64::from(iterations)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, project, task, order, iterations] = &args[..] else {
        eprintln!("usage: raw_read <db> <project> <task> <order> <iterations>");
        std::process::exit(2);
    };
    let iterations: u32 = iterations.parse().expect("iterations is a number");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let raw = RawReader {
        conn: Connection::open_with_flags(db, flags).expect("open the database"),
    };

    let tracker = StepTracker::with_env(|_| None);
    let source = Source {
        db_path: Some(PathBuf::from(db)),
        ..Source::default()
    };
    let presentation = Presentation::default();
    let running = BatchFilter::default();
    // one order's tasks in every status, as a board view of the order would ask
    let all_statuses = ALL_STATUSES.iter().map(|s| s.to_string()).collect();
    let of_order = BatchFilter {
        order_id: Some(order.clone()),
        statuses: Some(all_statuses),
        task_ids: None,
    };
    if std::env::var_os("RAW_READ_PROFILE_MISS").is_some() {
        // for a profiler: only the core's single call after a commit
        let writer = Connection::open(db).expect("open a writer");
        writer.execute_batch("PRAGMA synchronous = OFF").expect("no fsync");
        time_after_commit_us(iterations, &writer, || {
            black_box(
                tracker
                    .task_step(project, task, &source, presentation, &Clock::system())
                    .unwrap(),
            );
        });
        return;
    }
    let raw_single = time_us(iterations, || {
        black_box(raw.read("project_id = ?1 AND id = ?2", &[project, task]).unwrap());
    });
    let core_single = time_us(iterations, || {
        black_box(
            tracker
                .task_step(project, task, &source, presentation, &Clock::system())
                .unwrap(),
        );
    });
    let batch_iterations = (iterations / 20).max(10);
    let raw_batch = time_us(batch_iterations, || {
        black_box(
            raw.read("project_id = ?1 AND status = 'IN_PROGRESS'", &[project])
                .unwrap(),
        );
    });
    let core_batch = time_us(batch_iterations, || {
        black_box(
            tracker
                .tasks_steps(project, &running, &source, presentation, &Clock::system())
                .unwrap(),
        );
    });
    let raw_order = time_us(batch_iterations, || {
        black_box(
            raw.read("project_id = ?1 AND order_id = ?2", &[project, order])
                .unwrap(),
        );
    });
    let core_order = time_us(batch_iterations, || {
        black_box(
            tracker
                .tasks_steps(project, &of_order, &source, presentation, &Clock::system())
                .unwrap(),
        );
    });

    let writer = Connection::open(db).expect("open a writer");
    writer
        .execute_batch("PRAGMA synchronous = OFF")
        .expect("no fsync for the benchmark's own writes");
    let commits = (iterations / 20).max(20);
    let raw_single_miss = time_after_commit_us(commits, &writer, || {
        black_box(raw.read("project_id = ?1 AND id = ?2", &[project, task]).unwrap());
    });
    let core_single_miss = time_after_commit_us(commits, &writer, || {
        black_box(
            tracker
                .task_step(project, task, &source, presentation, &Clock::system())
                .unwrap(),
        );
    });
    let raw_batch_miss = time_after_commit_us(commits, &writer, || {
        black_box(
            raw.read("project_id = ?1 AND status = 'IN_PROGRESS'", &[project])
                .unwrap(),
        );
    });
    let core_batch_miss = time_after_commit_us(commits, &writer, || {
        black_box(
            tracker
                .tasks_steps(project, &running, &source, presentation, &Clock::system())
                .unwrap(),
        );
    });
    let raw_order_miss = time_after_commit_us(commits, &writer, || {
        black_box(
            raw.read("project_id = ?1 AND order_id = ?2", &[project, order])
                .unwrap(),
        );
    });
    let core_order_miss = time_after_commit_us(commits, &writer, || {
        black_box(
            tracker
                .tasks_steps(project, &of_order, &source, presentation, &Clock::system())
                .unwrap(),
        );
    });

    let one = [task.clone()];
    let running_status = ["IN_PROGRESS".to_owned()];
    let (statements_single, _) = statements_of(
        db,
        &Selection {
            project_id: project,
            task_ids: Some(&one),
            ..Selection::default()
        },
    );
    let (statements_batch, batch_tasks) = statements_of(
        db,
        &Selection {
            project_id: project,
            statuses: Some(&running_status),
            ..Selection::default()
        },
    );
    let (statements_order, order_tasks) = statements_of(
        db,
        &Selection {
            project_id: project,
            order_id: Some(order),
            ..Selection::default()
        },
    );
    println!(
        "{{\"statements_single\":{statements_single},\"statements_batch\":{statements_batch},\"batch_tasks\":{batch_tasks},\
         \"statements_order\":{statements_order},\"order_tasks\":{order_tasks},\
         \"raw_single_us\":{raw_single:.2},\"core_single_us\":{core_single:.2},\
         \"raw_single_miss_us\":{raw_single_miss:.2},\"core_single_miss_us\":{core_single_miss:.2},\
         \"raw_batch_us\":{raw_batch:.2},\"core_batch_us\":{core_batch:.2},\
         \"raw_batch_miss_us\":{raw_batch_miss:.2},\"core_batch_miss_us\":{core_batch_miss:.2},\
         \"raw_order_us\":{raw_order:.2},\"core_order_us\":{core_order:.2},\
         \"raw_order_miss_us\":{raw_order_miss:.2},\"core_order_miss_us\":{core_order_miss:.2}}}"
    );
}
