//! The errors this product reports (docs/behaviour.md, "Errors"). Tasks that do not exist are
//! results, not errors.

use std::fmt;
use std::path::Path;

/// A stable, documented error code; the JS `Error`'s `code` property.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The database file does not exist (or is not a file). Nothing is created.
    DbNotFound,
    /// The file is an SQLite database but has no AI PM `tasks` table.
    NotAipmDb,
    /// The file is not a database, or is damaged.
    DbCorrupt,
    /// The database stayed locked by a writer past the busy timeout.
    DbBusy,
    /// The database could not be opened or read for another reason (permissions, I/O).
    DbIo,
    /// An argument or option is missing or of the wrong type (a JS `TypeError`).
    InvalidArg,
    /// An argument or option has the right type but a value it cannot have
    /// (an empty id, an unknown step, a negative timeout): a JS `RangeError`.
    /// Its `code` is `ERR_INVALID_ARG` too.
    InvalidValue,
    /// `recordExecutionStep` named a task that does not exist in the project.
    TaskNotFound,
    /// What was asked cannot be done safely on this platform.
    Unsupported,
    /// A bug: a panic or an unexpected state, caught before it reached the host.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::DbNotFound => "ERR_DB_NOT_FOUND",
            ErrorCode::NotAipmDb => "ERR_NOT_AIPM_DB",
            ErrorCode::DbCorrupt => "ERR_DB_CORRUPT",
            ErrorCode::DbBusy => "ERR_DB_BUSY",
            ErrorCode::DbIo => "ERR_DB_IO",
            ErrorCode::InvalidArg | ErrorCode::InvalidValue => "ERR_INVALID_ARG",
            ErrorCode::TaskNotFound => "ERR_TASK_NOT_FOUND",
            ErrorCode::Unsupported => "ERR_UNSUPPORTED",
            ErrorCode::Internal => "ERR_INTERNAL",
        }
    }
}

/// An error with a code and a message that names the path or argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    /// A missing argument, or one of the wrong type.
    pub fn invalid_arg(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidArg, message)
    }

    /// An argument of the right type with a value it cannot have.
    pub fn invalid_value(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidValue, message)
    }

    /// An SQLite error met while reading or writing the database at `path`.
    pub fn from_sqlite(err: rusqlite::Error, path: &Path) -> Error {
        use rusqlite::ffi;
        use rusqlite::ErrorCode as Sq;
        let path = path.display();
        let rusqlite::Error::SqliteFailure(e, _) = &err else {
            return Error::new(
                ErrorCode::Internal,
                format!("unexpected database error in {path}: {err}"),
            );
        };
        match (e.code, e.extended_code) {
            (_, ffi::SQLITE_READONLY_ROLLBACK) => Error::new(
                ErrorCode::DbBusy,
                format!(
                    "a writer stopped in the middle of a transaction and its journal is still there; \
                     the next writer rolls it back, then reads work again: {path}"
                ),
            ),
            (Sq::DatabaseBusy | Sq::DatabaseLocked, _) => Error::new(
                ErrorCode::DbBusy,
                format!("database is locked by another connection past the busy timeout: {path}"),
            ),
            (Sq::NotADatabase | Sq::DatabaseCorrupt, _) => Error::new(
                ErrorCode::DbCorrupt,
                format!("file is not a database or is damaged: {path} ({err})"),
            ),
            (Sq::CannotOpen | Sq::PermissionDenied | Sq::SystemIoFailure | Sq::ReadOnly, _) => {
                Error::new(ErrorCode::DbIo, format!("cannot read database {path}: {err}"))
            }
            _ => Error::new(ErrorCode::DbIo, format!("database error in {path}: {err}")),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}
