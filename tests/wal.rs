//! WAL, the mode the app keeps the database in (docs/behaviour.md, "Journal
//! mode and the app's own SQLite"): commits that sit only in `-wal`, missing
//! `-wal`/`-shm`, a read-only copy of the user folder,
//! checkpoints and WAL resets by another process during reads, and the journal
//! mode switched under a watcher.

// Unix file modes and descriptors; the Windows build is tested by windows/suite.js.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use aipm_execution_steps::{BatchFilter, Presentation, Tick, Watch, WatchSpec};
use support::*;

fn sidecars(db: &Path) -> Vec<String> {
    let dir = db.parent().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_commit_that_sits_only_in_the_wal_is_seen_and_moves_data_version() {
    let f = Fixture::wal();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    assert_eq!(shown(&f.step("TASK_1", 0)), (Some("get_task_info"), "status", 14));
    let writer = f.conn();
    writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    let before = file_bytes(&f.db_path);
    writer
        .execute_batch(&format!(
        "INSERT INTO change_history (entity_type, entity_id, field_name, old_value, new_value, changed_by, changed_at) \
         VALUES ('task', 'TASK_1', 'status', 'QUEUED', 'IN_PROGRESS', 'Worker (ParallelWorker)', '{}')",
        sqlite_utc(0)
    ))
        .unwrap();
    assert_eq!(file_bytes(&f.db_path), before, "the commit is only in the -wal");
    assert_eq!(shown(&f.step("TASK_1", 1)), (Some("assign_worker"), "history", 28));
    drop(writer);
}

#[test]
fn a_wal_database_without_its_wal_and_shm_is_read_and_what_a_read_creates() {
    let f = Fixture::wal();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    // Every connection closed: SQLite checkpointed and removed the -wal and -shm.
    assert_eq!(sidecars(&f.db_path), ["aipm.db"]);
    let before = file_bytes(&f.db_path);
    assert_eq!(shown(&f.step("TASK_1", 0)).0, Some("get_task_info"));
    assert_eq!(file_bytes(&f.db_path), before, "the database file is unchanged");
    assert_eq!(
        sidecars(&f.db_path),
        ["aipm.db", "aipm.db-shm", "aipm.db-wal"],
        "a read may create -shm and an empty -wal"
    );
    assert_eq!(
        std::fs::metadata(format!("{}-wal", f.db_path.display())).unwrap().len(),
        0
    );
}

/// Runs the test named `name` of this binary again in a process of the `nobody` user.
fn as_nobody(name: &str, envs: &[(&str, &Path)]) -> bool {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(exe)
        .args(["--exact", name, "--ignored", "--nocapture"]);
    for (k, v) in envs {
        command.env(k, v);
    }
    let out = command.output().expect("setpriv");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "as nobody: {text}");
    text.contains("1 passed")
}

#[test]
fn a_read_only_copy_of_the_user_folder_is_read() {
    // root may write anywhere: the read runs as `nobody`, which may not.
    if unsafe { libc::geteuid() } != 0 || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to read as another user");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let open = tempfile::Builder::new().tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let make = |name: &str, keep_wal: bool| {
        let root = open.path().join(name);
        std::fs::create_dir_all(root.join("data")).unwrap();
        let db = root.join("data").join("aipm.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(
            "INSERT INTO tasks (id, project_id, title, status) VALUES ('TASK_1', 'ai_pm_manager', 't', 'IN_PROGRESS')",
        )
        .unwrap();
        if keep_wal {
            // A copy taken while the app ran: -wal and -shm beside the file, a commit only in the -wal.
            conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
            conn.execute_batch("UPDATE tasks SET status = 'DONE'").unwrap();
            let copy = open.path().join(format!("{name}-copy"));
            std::fs::create_dir_all(copy.join("data")).unwrap();
            for suffix in ["", "-wal", "-shm"] {
                std::fs::copy(
                    format!("{}{suffix}", db.display()),
                    format!("{}/data/aipm.db{suffix}", copy.display()),
                )
                .unwrap();
            }
            drop(conn);
            copy
        } else {
            drop(conn);
            root
        }
    };
    for (name, keep_wal) in [("no-wal", false), ("with-wal", true)] {
        let root = make(name, keep_wal);
        for entry in walk(&root) {
            let mode = if entry.is_dir() { 0o555 } else { 0o444 };
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let before = sidecars(&root.join("data").join("aipm.db"));
        let want: &Path = if keep_wal {
            Path::new("DONE")
        } else {
            Path::new("IN_PROGRESS")
        };
        assert!(
            as_nobody(
                "read_only_child",
                &[
                    ("AIPM_TEST_DB", &root.join("data").join("aipm.db")),
                    ("AIPM_TEST_STATUS", want)
                ]
            ),
            "{name}"
        );
        assert_eq!(
            sidecars(&root.join("data").join("aipm.db")),
            before,
            "{name}: nothing created"
        );
    }
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() {
            let children: Vec<_> = std::fs::read_dir(&out[i]).unwrap().map(|e| e.unwrap().path()).collect();
            out.extend(children);
        }
        i += 1;
    }
    out
}

/// The read of [`a_read_only_copy_of_the_user_folder_is_read`], as `nobody`.
#[test]
#[ignore = "run by a_read_only_copy_of_the_user_folder_is_read as another user"]
fn read_only_child() {
    let db = std::env::var_os("AIPM_TEST_DB").expect("run by its parent test");
    let status = std::env::var("AIPM_TEST_STATUS").unwrap();
    let source = aipm_execution_steps::Access {
        db_path: Some(db.into()),
        environment: aipm_execution_steps::Environment::default(),
        ..Default::default()
    };
    let tracker = aipm_execution_steps::StepTracker::new();
    let info = tracker
        .task_step(PROJECT, "TASK_1", &source, Presentation::default(), &clock(0))
        .unwrap();
    assert_eq!(info.status.as_deref(), Some(status.as_str()));
}

/// A Python writer flipping every task between two workers in one transaction,
/// checkpointing (TRUNCATE, so the WAL is reset) after every few commits.
fn busy_writer(db: &Path) -> Child {
    let script = r#"
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
n = 0
end = time.time() + 2.0
while time.time() < end:
    n += 1
    c.execute('BEGIN IMMEDIATE')
    c.execute('UPDATE tasks SET assignee = ?', ('Worker %d' % (n % 2),))
    c.execute('COMMIT')
    if n % 5 == 0:
        c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
print(n)
"#;
    Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn checkpoints_and_wal_resets_by_another_process_never_tear_a_read() {
    let f = Fixture::wal();
    for i in 0..40 {
        f.task(&format!("TASK_{i}"), "IN_PROGRESS", Some("Worker 0"));
    }
    let _keep_wal = f.conn(); // the app's connection: the WAL stays in use
    let writer = busy_writer(&f.db_path);
    let filter = BatchFilter::default();
    let mut reads = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1800);
    while std::time::Instant::now() < deadline {
        let batch = f
            .tracker
            .tasks_steps(PROJECT, &filter, &f.source(), Presentation::default(), &clock(0))
            .unwrap();
        assert_eq!(batch.len(), 40);
        let workers: std::collections::HashSet<_> = batch.iter().map(|i| i.assignee.clone()).collect();
        assert_eq!(workers.len(), 1, "one snapshot: every task has the same worker");
        reads += 1;
    }
    let out = writer.wait_with_output().unwrap();
    let commits: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(reads > 20 && commits > 20, "{reads} reads beside {commits} commits");
}

#[test]
fn a_watcher_goes_on_when_the_journal_mode_is_switched_under_it() {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    let spec = WatchSpec {
        project_id: PROJECT.into(),
        filter: BatchFilter::default(),
        source: f.source(),
        presentation: Presentation::default(),
    };
    let mut watch = Watch::new(spec, &f.tracker).unwrap();
    let steps = |tick: Tick| match tick {
        Tick::Changes(changes, _) => changes
            .into_iter()
            .map(|c| c.current.current_step.map(|s| s.name()))
            .collect(),
        Tick::Quiet => vec![],
        Tick::Failed(e) => panic!("{e}"),
    };
    assert_eq!(steps(watch.tick(&f.tracker, &clock(0))), [Some("get_task_info")]);
    let python = |sql: &str| {
        let script = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=1, isolation_level=None)\n\
                      try:\n    print(c.execute(sys.argv[2]).fetchone()[0])\nexcept sqlite3.OperationalError as e:\n    print(e)";
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&f.db_path)
            .arg(sql)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    // Into WAL (what the app does when it starts): the watcher's idle connection holds no lock then.
    assert_eq!(python("PRAGMA journal_mode=WAL"), "wal");
    f.launch("TASK_1", "Worker A", 0);
    assert_eq!(steps(watch.tick(&f.tracker, &clock(1))), [Some("file_lock")]);
    // Out of WAL needs every other connection closed: SQLite refuses while the
    // watcher's is open, as it does for any reader's, and the watcher reads on.
    assert_eq!(python("PRAGMA journal_mode=DELETE"), "database is locked");
    f.lock("TASK_1", "src/a.ts", 2);
    assert_eq!(steps(watch.tick(&f.tracker, &clock(2))), [Some("execute_task")]);
    assert_eq!(
        steps(watch.tick(&f.tracker, &clock(3))),
        Vec::<Option<&str>>::new(),
        "nothing changed: nothing reported"
    );
}
