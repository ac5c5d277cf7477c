//! Opening connections to the user's database: read-only ones that never
//! create, write or checkpoint anything on a read path (docs/behaviour.md, "What it never does"), and the one
//! read-write connection `recordExecutionStep` uses. Every connection of this
//! crate is opened here, after [`locking::install`](super::locking::install).

use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use super::locking::{self, LockOwnership};
use crate::error::{Error, ErrorCode, Result};
use crate::io::file_state::FileState;

/// A read-only connection.
pub struct ReadConnection {
    pub conn: Connection,
    /// Opened with `immutable=1`: a WAL database in a folder nobody can write
    /// (so no `-wal` exists or can be made, and nobody can write it either).
    /// SQLite then sees no change, so the connection is good only while the
    /// file is the one it was opened on.
    pub immutable: bool,
}

/// What the database at `path` is now, or a clear error if there is no such file.
pub fn database_state(path: &Path) -> Result<FileState> {
    match FileState::of(path) {
        Some(state) if !state.is_dir => Ok(state),
        Some(_) => Err(Error::new(
            ErrorCode::DbNotFound,
            format!("database path is not a file: {}", path.display()),
        )),
        None => match std::fs::metadata(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::new(
                ErrorCode::DbIo,
                format!("cannot access database {}: {e}", path.display()),
            )),
            _ => Err(Error::new(
                ErrorCode::DbNotFound,
                format!("database not found: {}", path.display()),
            )),
        },
    }
}

/// A read-only connection to `path`. It never creates the database; reading
/// a WAL database may create its `-shm` and an empty `-wal` (SQLite needs
/// them to read one), never anything else. It never checkpoints on close.
pub fn open_reader(path: &Path) -> Result<ReadConnection> {
    let conn = open(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .map_err(|e| Error::from_sqlite(e, path))?;
    Ok(ReadConnection { conn, immutable: false })
}

/// Whether a read that failed with `err` should be tried again on an
/// immutable connection: SQLite could not open the WAL files of a database
/// whose `-wal` does not exist, in a folder it cannot write (so nobody can
/// write it in WAL mode, and the database file holds every commit).
pub fn needs_immutable(err: &Error, path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    err.code == ErrorCode::DbIo && FileState::of(Path::new(&wal)).is_none() && !folder_writable(path)
}

/// An immutable read-only connection (see [`ReadConnection::immutable`]).
pub fn open_immutable(path: &Path) -> Result<ReadConnection> {
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
    let conn = open(Path::new(&uri), flags)?;
    Ok(ReadConnection { conn, immutable: true })
}

/// The read-write connection for recording. Refused where this addon's SQLite
/// would share the process's POSIX locks with the app's (a kernel without
/// open-file-description locks): two writers in one process could then both
/// believe they hold the write lock.
pub fn open_writer(path: &Path) -> Result<Connection> {
    if locking::install() == LockOwnership::SharedWithProcess {
        return Err(Error::new(
            ErrorCode::Unsupported,
            "recording needs open-file-description locks (Linux 3.15 or later, macOS); this kernel has none, \
             so a write from this process could break the app's own locks",
        ));
    }
    open(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
}

/// Sets how long the next statements on `conn` wait for a writer.
pub fn set_busy_timeout(conn: &Connection, timeout: Duration, path: &Path) -> Result<()> {
    conn.busy_timeout(timeout).map_err(|e| Error::from_sqlite(e, path))
}

fn open(path: &Path, access: OpenFlags) -> Result<Connection> {
    locking::install();
    // Never SQLITE_OPEN_CREATE: a missing file is an error, not a new database.
    let conn = Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| Error::from_sqlite(e, path))?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

#[cfg(unix)]
fn folder_writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Some(dir) = path
        .parent()
        .map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d })
    else {
        return false;
    };
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn folder_writable(path: &Path) -> bool {
    path.parent()
        .and_then(|d| std::fs::metadata(d).ok())
        .is_some_and(|m| !m.permissions().readonly())
}

/// `path` as a URI path: `/` separators, `%`, `?` and `#` escaped.
fn uri_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(text.len() + 1);
    if text.as_bytes().get(1) == Some(&b':') {
        out.push('/'); // C:/… on Windows
    }
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}
