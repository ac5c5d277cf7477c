//! Read-only connections, reused between calls (SPEC §7, §9).
//!
//! A connection is opened with `SQLITE_OPEN_READ_ONLY` (which never creates a
//! file), kept with its probed schema and its prepared statements, and handed
//! to one call at a time. A database file replaced on disk (same path, another
//! file) is noticed on the next call and its old connections are dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags};

use super::schema::Schema;
use crate::read_memo::ReadMemo;
use crate::error::{Error, ErrorCode, Result};
use crate::file_id::FileId;

/// Idle connections kept per database.
const IDLE_PER_DATABASE: usize = 4;

/// A connection with what is known about its database.
pub struct Reader {
    pub conn: Connection,
    /// The schema probed at `schema_version`.
    schema: Option<(i64, Schema)>,
    /// What was evaluated from this connection's reads, while the database is unchanged.
    pub memo: ReadMemo,
    /// Size and mtime of the database file, taken when this call checked the connection out.
    pub file_stamp: FileStamp,
}

/// Size and mtime of a file.
pub type FileStamp = (u64, Option<SystemTime>);

impl Reader {
    /// A reader on a connection the caller opened (read-only, for the product's paths);
    /// the schema is probed on first use.
    pub fn new(conn: Connection) -> Reader {
        Reader { conn, schema: None, memo: ReadMemo::default(), file_stamp: (0, None) }
    }

    /// SQLite's `PRAGMA data_version`: on this connection, it moves whenever
    /// another connection commits a change to the database.
    pub fn data_version(&self) -> rusqlite::Result<i64> {
        self.conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))
    }

    /// The schema, probed again only when the database's schema changed.
    pub fn schema(&mut self) -> rusqlite::Result<Result<Schema>> {
        let version: i64 = self.conn.prepare_cached("PRAGMA schema_version")?.query_row([], |r| r.get(0))?;
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
        let reused = {
            let mut databases = self.lock();
            let idle = databases.entry(path.to_path_buf()).or_insert_with(|| Idle { file, readers: Vec::new() });
            if idle.file != file {
                *idle = Idle { file, readers: Vec::new() };
            }
            idle.readers.pop()
        };
        let mut reader = match reused {
            Some(reader) => reader,
            None => Reader::new(open_read_only(path)?),
        };
        reader.file_stamp = (meta.len(), meta.modified().ok());
        reader.conn.busy_timeout(busy_timeout).map_err(|e| Error::from_sqlite(e, path))?;
        let result = f(&mut reader);
        let keep = match &result {
            Ok(_) => true,
            Err(e) => matches!(e.code, ErrorCode::DbBusy | ErrorCode::NotAipmDb),
        };
        if keep && reader.conn.is_autocommit() {
            let mut databases = self.lock();
            if let Some(idle) = databases.get_mut(path) {
                if idle.file == file && idle.readers.len() < IDLE_PER_DATABASE {
                    idle.readers.push(reader);
                }
            }
        }
        result
    }

    /// Forgets every connection to `path` (used when a watcher sees it vanish).
    pub fn forget(&self, path: &Path) {
        self.lock().remove(path);
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
        _ => Error::new(ErrorCode::DbIo, format!("cannot access database {}: {e}", path.display())),
    })?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorCode::DbNotFound,
            format!("database path is not a file: {}", path.display()),
        ));
    }
    Ok(meta)
}

fn open_read_only(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::from_sqlite(e, path))?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}
