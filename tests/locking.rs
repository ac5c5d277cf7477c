//! The lock bookkeeping of `src/io/db/locking.rs`, at the file level (unix).
//!
//! "The app" here is this test process holding POSIX record locks by hand on
//! the database file, the way a second copy of SQLite in the process would;
//! "another process" is Python's sqlite3 probing whether it could write. The
//! addon's SQLite runs several connections, takes and releases locks through
//! different ones, opens and closes them in every order — and the app's locks
//! must hold throughout, its conflicts be seen, and nothing of the addon's be
//! left behind.
#![cfg(unix)]

mod support;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;

use rusqlite::{Connection, OpenFlags};
use support::*;

/// SQLite's lock bytes (rollback journal): PENDING, RESERVED, then the SHARED range.
const PENDING: i64 = 0x4000_0000;
const RESERVED: i64 = PENDING + 1;
const SHARED_FIRST: i64 = PENDING + 2;
const SHARED_SIZE: i64 = 510;

/// Whether another process can take the write lock right now (no waiting).
fn other_process_can_write(db: &Path) -> bool {
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],timeout=0,isolation_level=None)\n\
                  try:\n  c.execute('BEGIN EXCLUSIVE'); c.execute('ROLLBACK'); print('yes')\n\
                  except sqlite3.OperationalError as e: print('no')";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(db)
        .output()
        .expect("python3");
    match String::from_utf8_lossy(&out.stdout).trim() {
        "yes" => true,
        "no" => false,
        other => panic!("probe failed: {other} {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// A POSIX record lock taken by "the app" on its own descriptor.
fn posix_lock(file: &File, kind: i32, start: i64, len: i64) -> i32 {
    // SAFETY: a plain struct flock, zeroed, then filled.
    let mut l: libc::flock = unsafe { std::mem::zeroed() };
    l.l_type = kind as _;
    l.l_whence = libc::SEEK_SET as _;
    l.l_start = start as _;
    l.l_len = len as _;
    // SAFETY: a valid descriptor and struct.
    unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &mut l) }
}

fn reader(db: &Path) -> Connection {
    aipm_execution_steps::install_locking();
    Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn read_in_transaction(conn: &Connection) {
    conn.execute_batch("BEGIN").unwrap();
    let _: i64 = conn.query_row("SELECT count(*) FROM tasks", [], |r| r.get(0)).unwrap();
}

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    f
}

#[test]
fn a_shared_lock_taken_through_one_connection_and_held_by_another_stays_until_the_last_lets_go() {
    let f = fixture();
    assert!(other_process_can_write(&f.db_path));
    let (a, b) = (reader(&f.db_path), reader(&f.db_path));
    read_in_transaction(&a);
    read_in_transaction(&b);
    assert!(!other_process_can_write(&f.db_path), "two readers");
    a.execute_batch("COMMIT").unwrap();
    drop(a); // closed while b still reads: b's lock must stay
    assert!(!other_process_can_write(&f.db_path), "b still reads");
    let c = reader(&f.db_path);
    read_in_transaction(&c);
    b.execute_batch("COMMIT").unwrap();
    assert!(!other_process_can_write(&f.db_path), "c still reads");
    c.execute_batch("COMMIT").unwrap();
    assert!(other_process_can_write(&f.db_path), "nobody reads: nothing left locked");
    drop((b, c));
    for _ in 0..20 {
        let d = reader(&f.db_path);
        read_in_transaction(&d);
        d.execute_batch("COMMIT").unwrap();
    }
    assert!(
        other_process_can_write(&f.db_path),
        "open-read-close, many times: nothing leaked"
    );
}

#[test]
fn the_apps_locks_survive_every_open_lock_unlock_and_close_of_the_addons() {
    let f = fixture();
    let app = File::open(&f.db_path).unwrap();
    assert_eq!(
        posix_lock(&app, libc::F_RDLCK, SHARED_FIRST, SHARED_SIZE),
        0,
        "the app reads"
    );
    for _ in 0..3 {
        let conns: Vec<Connection> = (0..3).map(|_| reader(&f.db_path)).collect();
        for conn in &conns {
            read_in_transaction(conn);
        }
        for conn in &conns {
            conn.execute_batch("COMMIT").unwrap();
        }
        drop(conns);
        assert!(
            !other_process_can_write(&f.db_path),
            "the app's shared lock is still there"
        );
    }
    assert_eq!(posix_lock(&app, libc::F_UNLCK, 0, 0), 0);
    assert!(other_process_can_write(&f.db_path), "and the addon left nothing behind");
}

#[test]
fn the_apps_write_lock_in_this_process_keeps_the_addons_writer_out() {
    let f = fixture();
    let app = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&f.db_path)
        .unwrap();
    // The app's BEGIN IMMEDIATE: a RESERVED lock (its shared lock too).
    assert_eq!(posix_lock(&app, libc::F_RDLCK, SHARED_FIRST, SHARED_SIZE), 0);
    assert_eq!(posix_lock(&app, libc::F_WRLCK, RESERVED, 1), 0);
    aipm_execution_steps::install_locking();
    let writer = Connection::open_with_flags(&f.db_path, OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap();
    writer.busy_timeout(std::time::Duration::ZERO).unwrap();
    let err = writer.execute_batch("BEGIN IMMEDIATE").unwrap_err();
    assert!(err.to_string().contains("locked"), "two writers in one database: {err}");
    // Reading alongside a reserved lock is allowed, and leaves the app's lock alone.
    let r = reader(&f.db_path);
    read_in_transaction(&r);
    r.execute_batch("COMMIT").unwrap();
    drop(r);
    assert!(!other_process_can_write(&f.db_path));
    assert_eq!(posix_lock(&app, libc::F_UNLCK, 0, 0), 0);
    writer
        .execute_batch("BEGIN IMMEDIATE; UPDATE tasks SET title = 'x'; COMMIT")
        .unwrap();
    assert!(other_process_can_write(&f.db_path));
}

#[test]
fn descriptors_are_reused_not_piled_up() {
    let f = fixture();
    let open_fds = || std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0);
    for _ in 0..5 {
        let c = reader(&f.db_path);
        read_in_transaction(&c);
    }
    let settled = open_fds();
    for _ in 0..200 {
        let c = reader(&f.db_path);
        read_in_transaction(&c);
        c.execute_batch("COMMIT").unwrap();
    }
    assert!(
        open_fds() <= settled + 2,
        "{} descriptors after 200 connections, {settled} before",
        open_fds()
    );
}

#[test]
fn in_wal_mode_a_reader_blocks_a_truncating_checkpoint_only_while_it_reads() {
    let f = Fixture::wal();
    f.task("TASK_1", "IN_PROGRESS", Some("Worker A"));
    let checkpoint = || {
        let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],timeout=0,isolation_level=None)\n\
                      c.execute(\"INSERT INTO projects (id, name) VALUES (hex(randomblob(4)), 'p')\")\n\
                      print(c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()[0])";
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&f.db_path)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let r = reader(&f.db_path);
    read_in_transaction(&r);
    assert_eq!(checkpoint(), "1", "busy: the addon's snapshot is still in use");
    r.execute_batch("COMMIT").unwrap();
    assert_eq!(checkpoint(), "0");
}
