//! Consistent reads without file locks, for rollback-journal databases.
//!
//! Why: the app that loads this addon usually has its own SQLite
//! (better-sqlite3) in the same process. On Unix, file locks belong to the
//! process, and when one copy of SQLite ends a read transaction it unlocks the
//! whole file, releasing the other copy's locks too — a read from here while
//! the app's own connection is mid-write would let a worker write at the same
//! time. So read connections use SQLite's `unix-none` VFS, which takes no
//! locks, and make their snapshot consistent the optimistic way instead:
//!
//! In rollback-journal mode every write to the database file happens while a
//! `-journal` file exists, and every transaction that wrote changes the file
//! change counter (header bytes 24..28). A read is consistent if, before and
//! after it, there was no journal and the counter was the same: no write
//! overlapped it. Otherwise the page cache is dropped and the read retried,
//! until the busy timeout. Writers never wait for this reader.
//!
//! WAL databases (header byte 18 = 2) and anything that is not a readable
//! SQLite file keep the ordinary locking VFS.
//!
//! The header is read through a descriptor opened once and kept with the
//! connection: closing a descriptor of the database would release the
//! process's locks just the same.

use std::fs::File;
use std::path::{Path, PathBuf};

/// How a read connection to a database keeps its snapshot consistent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    /// SQLite's own file locks (WAL, Windows, unreadable headers).
    Locks,
    /// No locks; [`quiet_mark`] checked around each read.
    Optimistic,
}

/// How to open a read connection to `db`: the VFS, how it stays consistent,
/// and the descriptor to read the header through (to be kept as long as the
/// connection).
pub fn read_mode(db: &Path) -> (Option<&'static str>, Consistency, Option<File>) {
    let file = File::open(db).ok();
    match &file {
        Some(f) if cfg!(unix) && header(f).is_some_and(|h| h.rollback_journal) => {
            (Some("unix-none"), Consistency::Optimistic, file)
        }
        _ => (None, Consistency::Locks, file),
    }
}

/// The file change counter, if the database is quiet: no journal (a write in
/// progress, or one interrupted) and a readable rollback-mode header. `None`
/// means "not now".
pub fn quiet_mark(db_file: &File, db: &Path) -> Option<[u8; 4]> {
    match std::fs::metadata(journal_of(db)) {
        Ok(journal) if journal.len() > 0 => return None,
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return None,
    }
    header(db_file).filter(|h| h.rollback_journal).map(|h| h.change_counter)
}

/// The rollback journal's path (`<db>-journal`).
pub fn journal_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-journal");
    PathBuf::from(name)
}

struct Header {
    rollback_journal: bool,
    change_counter: [u8; 4],
}

/// The fields of the 100-byte database header this module needs.
#[cfg(unix)]
fn header(db_file: &File) -> Option<Header> {
    use std::os::unix::fs::FileExt;
    let mut bytes = [0u8; 28];
    db_file.read_exact_at(&mut bytes, 0).ok()?;
    if &bytes[..16] != b"SQLite format 3\0" {
        return None;
    }
    // Bytes 18 and 19: file format write/read versions, 1 = legacy (rollback journal), 2 = WAL.
    Some(Header {
        rollback_journal: bytes[18] == 1 && bytes[19] == 1,
        change_counter: bytes[24..28].try_into().ok()?,
    })
}

#[cfg(not(unix))]
fn header(_: &File) -> Option<Header> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn a_commit_moves_the_mark_and_an_open_write_hides_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aipm.db");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let file = File::open(&db).unwrap();
        let before = quiet_mark(&file, &db).expect("quiet");
        conn.execute_batch("INSERT INTO t VALUES (2)").unwrap();
        let after = quiet_mark(&file, &db).expect("quiet");
        assert_ne!(before, after);

        conn.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (3);")
            .unwrap();
        // The journal exists from the first change on.
        assert_eq!(quiet_mark(&file, &db), None);
        conn.execute_batch("COMMIT").unwrap();
        assert!(quiet_mark(&file, &db).is_some());
        assert!(matches!(
            read_mode(&db),
            (Some("unix-none"), Consistency::Optimistic, Some(_))
        ));
    }

    #[test]
    fn wal_and_foreign_files_keep_locks() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("wal.db");
        let conn = Connection::open(&wal).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x);")
            .unwrap();
        assert!(matches!(read_mode(&wal), (None, Consistency::Locks, _)));
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all, just some bytes").unwrap();
        assert!(matches!(read_mode(&junk), (None, Consistency::Locks, _)));
        assert_eq!(quiet_mark(&File::open(&junk).unwrap(), &junk), None);
    }
}
