//! Option objects as JavaScript passes them, and their conversion to the
//! core's types. Every field is optional; `@default` says what absence means.

use std::path::PathBuf;
use std::time::Duration;

use napi_derive::napi;

use crate::error::{Error, Result};
use crate::io::db::location::Environment;
use crate::locale::Locale;
use crate::present::result::Presentation;
use crate::time::{parse_db_timestamp, Instant, Zone};
use crate::tracker::{BatchFilter, Source, StatsFilter, DEFAULT_BUSY_TIMEOUT};

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

/// Where to read from. Without `dbPath`, the default paths come from
/// `environment`: the calling JavaScript context's `process.env`.
pub fn source(
    db_path: &Option<String>,
    user_data_dir: &Option<String>,
    busy_timeout_ms: Option<f64>,
    environment: Environment,
) -> Result<Source> {
    Ok(Source {
        db_path: non_empty("dbPath", db_path)?.map(PathBuf::from),
        user_data_dir: non_empty("userDataDir", user_data_dir)?.map(PathBuf::from),
        busy_timeout: busy_timeout(busy_timeout_ms)?,
        environment,
    })
}

pub fn presentation(verbose: Option<bool>, locale: &Option<String>) -> Result<Presentation> {
    Ok(Presentation {
        locale: locale_of(locale)?,
        verbose: verbose.unwrap_or(false),
    })
}

pub fn locale_of(locale: &Option<String>) -> Result<Locale> {
    match locale.as_deref() {
        None => Ok(Locale::Ja),
        Some(s) => {
            Locale::parse(s).ok_or_else(|| Error::invalid_arg(format!("locale must be 'ja' or 'en', got {s:?}")))
        }
    }
}

impl BatchOptions {
    pub fn filter(&self) -> BatchFilter {
        BatchFilter {
            task_ids: self.task_ids.clone(),
            order_id: self.order_id.clone(),
            statuses: self.status_filter.clone(),
        }
    }
}

impl StatsOptions {
    pub fn filter(&self, zone: Zone) -> Result<StatsFilter> {
        let since: Option<Instant> = match &self.since {
            None => None,
            Some(napi::Either::A(text)) => Some(parse_db_timestamp(text, zone).ok_or_else(|| {
                Error::invalid_arg(format!(
                    "since must be an ISO 8601 time or epoch milliseconds, got {text:?}"
                ))
            })?),
            Some(napi::Either::B(ms)) => Some(
                ms.is_finite()
                    .then(|| chrono::DateTime::from_timestamp_millis(*ms as i64))
                    .flatten()
                    .ok_or_else(|| Error::invalid_arg(format!("since is not a valid time: {ms}")))?,
            ),
        };
        Ok(StatsFilter {
            order_id: self.order_id.clone(),
            since,
        })
    }
}

fn non_empty<'a>(name: &str, value: &'a Option<String>) -> Result<Option<&'a str>> {
    match value.as_deref() {
        Some("") => Err(Error::invalid_arg(format!("{name} must not be empty"))),
        Some(s) if s.contains('\0') => Err(Error::invalid_arg(format!("{name} must not contain NUL characters"))),
        other => Ok(other),
    }
}

fn busy_timeout(ms: Option<f64>) -> Result<Duration> {
    match ms {
        None => Ok(DEFAULT_BUSY_TIMEOUT),
        Some(ms) if ms.is_finite() && (0.0..=MAX_BUSY_TIMEOUT_MS).contains(&ms) => Ok(Duration::from_millis(ms as u64)),
        Some(ms) => Err(Error::invalid_arg(format!(
            "busyTimeoutMs must be between 0 and {MAX_BUSY_TIMEOUT_MS}, got {ms}"
        ))),
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
    pub fn filter(&self) -> BatchFilter {
        BatchFilter {
            task_ids: self.task_ids.clone(),
            order_id: self.order_id.clone(),
            statuses: self.status_filter.clone(),
        }
    }

    pub fn interval(&self) -> Result<Duration> {
        match self.interval_ms {
            None => Ok(Duration::from_millis(250)),
            Some(ms) if ms.is_finite() && (10.0..=3_600_000.0).contains(&ms) => Ok(Duration::from_millis(ms as u64)),
            Some(ms) => Err(Error::invalid_arg(format!(
                "intervalMs must be between 10 and 3600000, got {ms}"
            ))),
        }
    }
}
