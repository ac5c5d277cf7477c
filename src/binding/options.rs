//! Option objects as JavaScript passes them, and their conversion to the
//! core's types. Every field is optional; `@default` says what absence means.

use std::path::PathBuf;
use std::time::Duration;

use napi_derive::napi;

use super::arguments::Options;
use crate::error::{Error, Result};
use crate::io::db::location::Environment;
use crate::locale::Locale;
use crate::present::result::Presentation;
use crate::time::{parse_db_timestamp, Instant, Zone};
use crate::tracker::{Access, BatchFilter, StatsFilter, DEFAULT_BUSY_TIMEOUT};

/// Longest busy timeout accepted (10 minutes).
const MAX_BUSY_TIMEOUT_MS: f64 = 600_000.0;

/// Options of `getTaskExecutionStep`.
#[napi(object)]
#[derive(Default)]
pub struct QueryOptions {
    /// Path of the AI PM database.
    /// @default `AIPM_DB_PATH`, else `$AI_PM_USERDATA/data/aipm.db`, else the app's user-data folder (`%APPDATA%\ai-pm-manager-v2\data\aipm.db` on Windows)
    pub db_path: Option<String>,
    /// Folder holding `PROJECTS/` (where worker logs are).
    /// @default the parent of the database's `data/` folder
    pub user_data_dir: Option<String>,
    /// Include `completedSteps` and the seven-step `steps` timeline.
    /// @default false
    pub verbose: Option<bool>,
    /// Language of display names and messages.
    /// @default 'ja'
    #[napi(ts_type = "'ja' | 'en'")]
    pub locale: Option<String>,
    /// How long to wait while a worker's write is under way before failing with `ERR_DB_BUSY`.
    /// @default 5000
    pub busy_timeout_ms: Option<f64>,
}

/// Options of `getMultipleTasksExecutionSteps`.
#[napi(object)]
#[derive(Default)]
pub struct BatchOptions {
    /// Only these tasks (in any status unless `statusFilter` is given too).
    pub task_ids: Option<Vec<String>>,
    /// Only tasks of this ORDER, e.g. `ORDER_119`.
    pub order_id: Option<String>,
    /// Only tasks in these statuses.
    /// @default ['IN_PROGRESS'] when no `taskIds` are given
    pub status_filter: Option<Vec<String>>,
    /// @default as for `getTaskExecutionStep`
    pub db_path: Option<String>,
    /// @default the parent of the database's `data/` folder
    pub user_data_dir: Option<String>,
    /// @default false
    pub verbose: Option<bool>,
    /// @default 'ja'
    #[napi(ts_type = "'ja' | 'en'")]
    pub locale: Option<String>,
    /// @default 5000
    pub busy_timeout_ms: Option<f64>,
}

/// Options of `getStepDurationStats`.
#[napi(object)]
#[derive(Default)]
pub struct StatsOptions {
    /// Only runs of tasks of this ORDER.
    pub order_id: Option<String>,
    /// Only runs that began at or after this time (RFC 3339 / ISO 8601 string, or epoch milliseconds).
    #[napi(ts_type = "string | number")]
    pub since: Option<napi::Either<String, f64>>,
    /// @default as for `getTaskExecutionStep`
    pub db_path: Option<String>,
    /// @default the parent of the database's `data/` folder
    pub user_data_dir: Option<String>,
    /// @default 'ja'
    #[napi(ts_type = "'ja' | 'en'")]
    pub locale: Option<String>,
    /// @default 5000
    pub busy_timeout_ms: Option<f64>,
}

/// Options of `workerLogPath`: where the user-data folder is.
#[napi(object)]
#[derive(Default)]
pub struct PathOptions {
    /// @default as for `getTaskExecutionStep`
    pub db_path: Option<String>,
    /// @default the parent of the database's `data/` folder
    pub user_data_dir: Option<String>,
}

/// Options of `recordExecutionStep`.
#[napi(object)]
#[derive(Default)]
pub struct RecordOptions {
    /// Free text stored with the event (the log line's detail).
    pub detail: Option<String>,
    /// @default as for `getTaskExecutionStep`
    pub db_path: Option<String>,
    /// @default 5000
    pub busy_timeout_ms: Option<f64>,
}

impl QueryOptions {
    pub fn read(o: &Options<'_>) -> Result<QueryOptions> {
        Ok(QueryOptions {
            db_path: o.string("dbPath")?,
            user_data_dir: o.string("userDataDir")?,
            verbose: o.boolean("verbose")?,
            locale: o.string("locale")?,
            busy_timeout_ms: o.number("busyTimeoutMs")?,
        })
    }

    pub fn source(&self, o: &Options<'_>, environment: Environment) -> Result<Access> {
        source(o, &self.db_path, &self.user_data_dir, self.busy_timeout_ms, environment)
    }

    pub fn presentation(&self, o: &Options<'_>) -> Result<Presentation> {
        presentation(o, self.verbose, &self.locale)
    }
}

impl BatchOptions {
    pub fn read(o: &Options<'_>) -> Result<BatchOptions> {
        Ok(BatchOptions {
            task_ids: o.strings("taskIds")?,
            order_id: o.string("orderId")?,
            status_filter: o.strings("statusFilter")?,
            db_path: o.string("dbPath")?,
            user_data_dir: o.string("userDataDir")?,
            verbose: o.boolean("verbose")?,
            locale: o.string("locale")?,
            busy_timeout_ms: o.number("busyTimeoutMs")?,
        })
    }

    pub fn source(&self, o: &Options<'_>, environment: Environment) -> Result<Access> {
        source(o, &self.db_path, &self.user_data_dir, self.busy_timeout_ms, environment)
    }

    pub fn presentation(&self, o: &Options<'_>) -> Result<Presentation> {
        presentation(o, self.verbose, &self.locale)
    }

    pub fn filter(&self) -> BatchFilter {
        filter(&self.task_ids, &self.order_id, &self.status_filter)
    }
}

impl StatsOptions {
    pub fn read(o: &Options<'_>) -> Result<StatsOptions> {
        Ok(StatsOptions {
            order_id: o.string("orderId")?,
            since: o.string_or_number("since")?,
            db_path: o.string("dbPath")?,
            user_data_dir: o.string("userDataDir")?,
            locale: o.string("locale")?,
            busy_timeout_ms: o.number("busyTimeoutMs")?,
        })
    }

    pub fn source(&self, o: &Options<'_>, environment: Environment) -> Result<Access> {
        source(o, &self.db_path, &self.user_data_dir, self.busy_timeout_ms, environment)
    }

    pub fn presentation(&self, o: &Options<'_>) -> Result<Presentation> {
        presentation(o, None, &self.locale)
    }

    pub fn filter(&self, o: &Options<'_>, zone: Zone) -> Result<StatsFilter> {
        let since: Option<Instant> = match &self.since {
            None => None,
            Some(napi::Either::A(text)) => Some(parse_db_timestamp(text, zone).ok_or_else(|| {
                Error::invalid_value(format!(
                    "{} must be an ISO 8601 time or epoch milliseconds, got {text:?}",
                    o.name("since")
                ))
            })?),
            Some(napi::Either::B(ms)) => Some(
                chrono::DateTime::from_timestamp_millis(*ms as i64)
                    .ok_or_else(|| Error::invalid_value(format!("{} is not a valid time: {ms}", o.name("since"))))?,
            ),
        };
        Ok(StatsFilter {
            order_id: self.order_id.clone(),
            since,
        })
    }
}

impl PathOptions {
    pub fn read(o: &Options<'_>) -> Result<PathOptions> {
        Ok(PathOptions {
            db_path: o.string("dbPath")?,
            user_data_dir: o.string("userDataDir")?,
        })
    }

    pub fn source(&self, o: &Options<'_>, environment: Environment) -> Result<Access> {
        source(o, &self.db_path, &self.user_data_dir, None, environment)
    }
}

impl RecordOptions {
    pub fn read(o: &Options<'_>) -> Result<RecordOptions> {
        Ok(RecordOptions {
            detail: o.string("detail")?,
            db_path: o.string("dbPath")?,
            busy_timeout_ms: o.number("busyTimeoutMs")?,
        })
    }

    pub fn source(&self, o: &Options<'_>, environment: Environment) -> Result<Access> {
        source(o, &self.db_path, &None, self.busy_timeout_ms, environment)
    }
}

/// Options of `watchExecutionSteps`.
#[napi(object)]
#[derive(Default)]
pub struct WatchOptions {
    /// Only tasks of this ORDER.
    pub order_id: Option<String>,
    /// Only these tasks.
    pub task_ids: Option<Vec<String>>,
    /// Only tasks in these statuses.
    /// @default ['IN_PROGRESS'] when no `taskIds` are given
    pub status_filter: Option<Vec<String>>,
    /// How often to look for changes, in milliseconds (at least 10).
    /// @default 250
    pub interval_ms: Option<f64>,
    /// @default as for `getTaskExecutionStep`
    pub db_path: Option<String>,
    /// @default the parent of the database's `data/` folder
    pub user_data_dir: Option<String>,
    /// @default 'ja'
    #[napi(ts_type = "'ja' | 'en'")]
    pub locale: Option<String>,
    /// Report results with `completedSteps` and `steps`.
    /// @default false
    pub verbose: Option<bool>,
    /// @default 5000
    pub busy_timeout_ms: Option<f64>,
}

impl WatchOptions {
    pub fn read(o: &Options<'_>) -> Result<WatchOptions> {
        Ok(WatchOptions {
            order_id: o.string("orderId")?,
            task_ids: o.strings("taskIds")?,
            status_filter: o.strings("statusFilter")?,
            interval_ms: o.number("intervalMs")?,
            db_path: o.string("dbPath")?,
            user_data_dir: o.string("userDataDir")?,
            locale: o.string("locale")?,
            verbose: o.boolean("verbose")?,
            busy_timeout_ms: o.number("busyTimeoutMs")?,
        })
    }

    pub fn source(&self, o: &Options<'_>, environment: Environment) -> Result<Access> {
        source(o, &self.db_path, &self.user_data_dir, self.busy_timeout_ms, environment)
    }

    pub fn presentation(&self, o: &Options<'_>) -> Result<Presentation> {
        presentation(o, self.verbose, &self.locale)
    }

    pub fn filter(&self) -> BatchFilter {
        filter(&self.task_ids, &self.order_id, &self.status_filter)
    }

    pub fn interval(&self, o: &Options<'_>) -> Result<Duration> {
        match self.interval_ms {
            None => Ok(Duration::from_millis(250)),
            Some(ms) if (10.0..=3_600_000.0).contains(&ms) => Ok(Duration::from_millis(ms as u64)),
            Some(ms) => Err(Error::invalid_value(format!(
                "{} must be between 10 and 3600000, got {ms}",
                o.name("intervalMs")
            ))),
        }
    }
}

/// Where to read from. Without `dbPath`, the default paths come from
/// `environment`: the calling JavaScript context's `process.env`.
fn source(
    o: &Options<'_>,
    db_path: &Option<String>,
    user_data_dir: &Option<String>,
    busy_timeout_ms: Option<f64>,
    environment: Environment,
) -> Result<Access> {
    let path = |key: &str, value: &Option<String>| -> Result<Option<PathBuf>> {
        match value.as_deref() {
            Some("") => Err(Error::invalid_value(format!("{} must not be empty", o.name(key)))),
            Some(s) if s.contains('\0') => Err(Error::invalid_value(format!(
                "{} must not contain NUL characters",
                o.name(key)
            ))),
            other => Ok(other.map(PathBuf::from)),
        }
    };
    let busy_timeout = match busy_timeout_ms {
        None => DEFAULT_BUSY_TIMEOUT,
        Some(ms) if (0.0..=MAX_BUSY_TIMEOUT_MS).contains(&ms) => Duration::from_millis(ms as u64),
        Some(ms) => {
            return Err(Error::invalid_value(format!(
                "{} must be between 0 and {MAX_BUSY_TIMEOUT_MS}, got {ms}",
                o.name("busyTimeoutMs")
            )))
        }
    };
    Ok(Access {
        db_path: path("dbPath", db_path)?,
        user_data_dir: path("userDataDir", user_data_dir)?,
        busy_timeout,
        environment,
    })
}

fn presentation(o: &Options<'_>, verbose: Option<bool>, locale: &Option<String>) -> Result<Presentation> {
    Ok(Presentation {
        locale: locale_of(locale.as_deref(), &o.name("locale"))?,
        verbose: verbose.unwrap_or(false),
    })
}

/// A locale name (`ja`, `en`) given as `name`; `ja` when absent.
pub fn locale_of(locale: Option<&str>, name: &str) -> Result<Locale> {
    match locale {
        None => Ok(Locale::Ja),
        Some(s) => {
            Locale::parse(s).ok_or_else(|| Error::invalid_value(format!("{name} must be 'ja' or 'en', got {s:?}")))
        }
    }
}

fn filter(task_ids: &Option<Vec<String>>, order_id: &Option<String>, statuses: &Option<Vec<String>>) -> BatchFilter {
    BatchFilter {
        task_ids: task_ids.clone(),
        order_id: order_id.clone(),
        statuses: statuses.clone(),
    }
}
