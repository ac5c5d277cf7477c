//! Connections, reused between calls (SPEC §7, §9).
//!
//! A read connection is opened with `SQLITE_OPEN_READ_ONLY` (which never
//! creates a file), kept with its probed schema and its prepared statements,
//! and handed to one call at a time. A database file replaced on disk (same
//! path, another file) is noticed on the next call.
//!
//! Connections are never closed while the process lives, on Unix. The app's
//! own SQLite (better-sqlite3) is a second copy of the library in the same
//! process, and POSIX file locks belong to the process: closing *any*
//! descriptor of the database file releases every lock the process holds on
//! it, the app's too, even mid-write. So a call that fails gives its
//! connection back like any other; the pool grows to the number of calls that
//! ran at once, not more; connections to a file that is no longer at its path
//! are kept aside (see [`retire`]). On Windows locks belong to the handle and
//! closing is harmless.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags};

use super::schema::Schema;
use super::snapshot::{read_mode, Consistency};
use crate::error::{Error, ErrorCode, Result};
use crate::file_id::FileId;
use crate::read_memo::ReadMemo;

/// Connections kept aside after their file left its path (Unix), before the
/// oldest is closed after all: a bound on descriptors should files keep being
/// replaced, which real use does not do.
const RETIRED_MAX: usize = 64;

/// A connection with what is known about its database.
pub struct Reader {
    pub conn: Connection,
    /// The schema probed at `schema_version`.
    schema: Option<(i64, Schema)>,
    /// What was evaluated from this connection's reads, while the database is unchanged.
    pub memo: ReadMemo,
    /// Size and mtime of the database file, taken when this call checked the connection out.
    pub file_stamp: FileStamp,
    /// How its reads stay consistent (see [`super::snapshot`]).
    pub consistency: Consistency,
    /// A descriptor of the database file, for its header; kept as long as the
    /// connection (closing it would release the process's locks).
    pub db_file: Option<std::fs::File>,
    /// How long a read may wait for writers (set for each call).
    pub busy_timeout: Duration,
}

/// Size and mtime of a file.
pub type FileStamp = (u64, Option<SystemTime>);

impl Reader {
    /// A reader on a connection the caller opened (read-only, for the product's paths);
    /// the schema is probed on first use.
    pub fn new(conn: Connection) -> Reader {
        Reader {
            conn,
            schema: None,
            memo: ReadMemo::default(),
            file_stamp: (0, None),
            consistency: Consistency::Locks,
            db_file: None,
            busy_timeout: Duration::ZERO,
        }
    }

    /// A read-only reader on the database at `path`: without file locks where
    /// its snapshots can be checked instead (see [`super::snapshot`]).
    pub fn open(path: &Path) -> Result<Reader> {
        let (vfs, consistency, db_file) = read_mode(path);
        let conn = open_with(path, OpenFlags::SQLITE_OPEN_READ_ONLY, vfs)?;
        Ok(Reader {
            consistency,
            db_file,
            ..Reader::new(conn)
        })
    }

    /// Drops what this connection cached from a read that was not consistent.
    pub fn forget_pages(&mut self) {
        self.schema = None;
        let _ = self.conn.release_memory();
    }

    /// SQLite's `PRAGMA data_version`: on this connection, it moves whenever
    /// another connection commits a change to the database.
    pub fn data_version(&self) -> rusqlite::Result<i64> {
        self.conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))
    }

    /// The schema, probed again only when the database's schema changed.
    pub fn schema(&mut self) -> rusqlite::Result<Result<Schema>> {
        let version: i64 = self
            .conn
            .prepare_cached("PRAGMA schema_version")?
            .query_row([], |r| r.get(0))?;
        if let Some((v, schema)) = &self.schema {
            if *v == version {
                return Ok(Ok(schema.clone()));
            }
        }
        let probed = Schema::probe(&self.conn)?;
        if let Ok(schema) = &probed {
            self.schema = Some((version, schema.clone()));
        }
        Ok(probed)
    }
}

#[derive(Default)]
pub struct ConnectionPool {
    databases: Mutex<HashMap<PathBuf, Idle>>,
}

struct Idle {
    file: FileId,
    readers: Vec<Reader>,
    /// Read-write connections (`recordExecutionStep`), once opened.
    writers: Vec<Connection>,
}

/// A connection going back to the pool.
enum Spare {
    Reader(Reader),
    Writer(Connection),
}

impl Idle {
    fn new(file: FileId) -> Idle {
        Idle {
            file,
            readers: Vec::new(),
            writers: Vec::new(),
        }
    }

    fn into_spares(self) -> impl Iterator<Item = Spare> {
        self.readers
            .into_iter()
            .map(Spare::Reader)
            .chain(self.writers.into_iter().map(Spare::Writer))
    }
}

impl ConnectionPool {
    pub fn new() -> ConnectionPool {
        ConnectionPool::default()
    }

    /// Runs `f` with a read-only connection to the database at `path`.
    pub fn with_reader<R>(
        &self,
        path: &Path,
        busy_timeout: Duration,
        f: impl FnOnce(&mut Reader) -> Result<R>,
    ) -> Result<R> {
        let meta = database_metadata(path)?;
        let file = FileId::of(&meta);
        let mut reader = match self.take(path, file, |idle| idle.readers.pop()) {
            Some(reader) => reader,
            None => Reader::open(path)?,
        };
        reader.file_stamp = (meta.len(), meta.modified().ok());
        reader.busy_timeout = busy_timeout;
        let result = reader
            .conn
            .busy_timeout(busy_timeout)
            .map_err(|e| Error::from_sqlite(e, path))
            .and_then(|()| f(&mut reader));
        end_transaction(&reader.conn);
        self.give_back(path, file, Spare::Reader(reader));
        result
    }

    /// Runs `f` with a read-write connection to the database at `path`
    /// (opened without `SQLITE_OPEN_CREATE`, so it never makes a file).
    pub fn with_writer<R>(
        &self,
        path: &Path,
        busy_timeout: Duration,
        f: impl FnOnce(&mut Connection) -> Result<R>,
    ) -> Result<R> {
        let file = database_file(path)?;
        let mut conn = match self.take(path, file, |idle| idle.writers.pop()) {
            Some(conn) => conn,
            None => open(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?,
        };
        let result = conn
            .busy_timeout(busy_timeout)
            .map_err(|e| Error::from_sqlite(e, path))
            .and_then(|()| f(&mut conn));
        end_transaction(&conn);
        self.give_back(path, file, Spare::Writer(conn));
        result
    }

    /// Takes into the pool, rather than closing it, a reader a caller opened
    /// on `file` at `path` (a watcher's, when it stops).
    pub fn adopt(&self, path: &Path, file: FileId, reader: Reader) {
        self.give_back(path, file, Spare::Reader(reader));
    }

    /// How many read and read-write connections to `path` are idle in the pool.
    pub fn idle(&self, path: &Path) -> (usize, usize) {
        self.lock()
            .get(path)
            .map_or((0, 0), |idle| (idle.readers.len(), idle.writers.len()))
    }

    /// `pick` from the idle connections of the file now at `path`; those of a
    /// file that was there before are retired.
    fn take<T>(&self, path: &Path, file: FileId, pick: impl FnOnce(&mut Idle) -> Option<T>) -> Option<T> {
        let mut databases = self.lock();
        let idle = databases.entry(path.to_path_buf()).or_insert_with(|| Idle::new(file));
        if idle.file != file {
            retire(std::mem::replace(idle, Idle::new(file)).into_spares());
        }
        pick(idle)
    }

    /// Back into the pool if `file` is still the database at `path`; else aside.
    fn give_back(&self, path: &Path, file: FileId, spare: Spare) {
        let mut databases = self.lock();
        match (databases.get_mut(path), spare) {
            (Some(idle), Spare::Reader(reader)) if idle.file == file => idle.readers.push(reader),
            (Some(idle), Spare::Writer(conn)) if idle.file == file => idle.writers.push(conn),
            (_, spare) => retire([spare]),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Idle>> {
        self.databases.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The identity of the database file, or a clear error if there is none.
pub fn database_file(path: &Path) -> Result<FileId> {
    database_metadata(path).map(|meta| FileId::of(&meta))
}

/// The database file's metadata, or a clear error if there is no such file.
fn database_metadata(path: &Path) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::new(ErrorCode::DbNotFound, format!("database not found: {}", path.display()))
        }
        _ => Error::new(
            ErrorCode::DbIo,
            format!("cannot access database {}: {e}", path.display()),
        ),
    })?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorCode::DbNotFound,
            format!("database path is not a file: {}", path.display()),
        ));
    }
    Ok(meta)
}

/// Ends a transaction a failure left open, before the connection goes back.
fn end_transaction(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Opens `path` with `access` (read-only or read-write), never creating it.
pub fn open(path: &Path, access: OpenFlags) -> Result<Connection> {
    open_with(path, access, None)
}

fn open_with(path: &Path, access: OpenFlags, vfs: Option<&str>) -> Result<Connection> {
    let flags = access | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match vfs {
        Some(vfs) => Connection::open_with_flags_and_vfs(path, flags, vfs),
        None => Connection::open_with_flags(path, flags),
    }
    .map_err(|e| Error::from_sqlite(e, path))?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

#[cfg(unix)]
static RETIRED: Mutex<Vec<Spare>> = Mutex::new(Vec::new());

/// How many connections [`retire`] keeps open.
pub fn retired() -> usize {
    #[cfg(unix)]
    return RETIRED.lock().unwrap_or_else(|p| p.into_inner()).len();
    #[cfg(not(unix))]
    0
}

/// Keeps connections (and a reader's descriptor) to a file that left its path
/// open for the life of the process (Unix; see the module notes), up to
/// [`RETIRED_MAX`]; on Windows a lock belongs to its handle and they close.
fn retire(spares: impl IntoIterator<Item = Spare>) {
    #[cfg(unix)]
    {
        let mut retired = RETIRED.lock().unwrap_or_else(|p| p.into_inner());
        for spare in spares {
            if retired.len() >= RETIRED_MAX {
                retired.remove(0);
            }
            let (Spare::Reader(Reader { conn, .. }) | Spare::Writer(conn)) = &spare;
            let _ = conn.release_memory();
            retired.push(spare);
        }
    }
    #[cfg(not(unix))]
    drop(spares.into_iter().collect::<Vec<_>>());
}
