//! The native half of `watchExecutionSteps`. The package's `index.js` holds the
//! listener and an unref'd timer (so a watcher lives until `close()` or the
//! end of the process, kept or not, and never keeps the process alive); each
//! timer tick calls `watchSessionTick`, which looks for changes on the libuv
//! pool and resolves to them (`null` when nothing changed). No thread of its
//! own and no threadsafe function: nothing outlives its JavaScript context, a
//! worker thread's included. These functions are `index.js`'s, not part of
//! the typed API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;

use super::arguments::{string_arg, Options};
use super::environment::caller_environment;
use super::errors::{guarded, guarded_js, js_error};
use super::options::WatchOptions;
use super::types::Js;
use super::TRACKER;
use crate::error::Result as CoreResult;
use crate::present::order::OrderProgress;
use crate::time::Clock;
use crate::tracker::watch::{ExecutionStepChange as CoreChange, Tick, Watch, WatchSpec};

/// One watcher's state: `None` once closed.
pub struct WatchSession {
    watch: Arc<Mutex<Option<Watch>>>,
    interval: Duration,
}

/// A new watcher, its arguments checked at once like every other entry point's.
#[napi(skip_typescript, catch_unwind)]
pub fn watch_session(
    env: Env,
    project_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    caller_env: Option<Unknown<'_>>,
) -> Result<External<WatchSession>> {
    guarded(|| {
        let project_id = string_arg(project_id, "projectId")?;
        let o = Options::new(&env, options, "options")?;
        let w = WatchOptions::read(&o)?;
        let spec = WatchSpec {
            project_id,
            filter: w.filter(),
            source: w.source(&o, caller_environment(&env, caller_env))?,
            presentation: w.presentation(&o)?,
        };
        let interval = w.interval(&o)?;
        let watch = Watch::new(spec, &TRACKER)?;
        Ok(External::new(WatchSession {
            watch: Arc::new(Mutex::new(Some(watch))),
            interval,
        }))
    })
    .map_err(|e| js_error(&env, e))
}

/// The watcher's validated `intervalMs`.
#[napi(skip_typescript, catch_unwind)]
pub fn watch_session_interval(session: &External<WatchSession>) -> u32 {
    session.interval.as_millis().min(u32::MAX as u128) as u32
}

/// Looks for changes off the JavaScript thread: resolves to the changes,
/// `null` when there are none (or the watcher was closed), or rejects with a
/// coded error (each failure once, until it clears).
#[napi(skip_typescript, catch_unwind)]
pub fn watch_session_tick(session: &External<WatchSession>) -> AsyncTask<TickTask> {
    AsyncTask::new(TickTask {
        watch: Arc::clone(&session.watch),
    })
}

/// Stops the watcher: later ticks resolve to `null`.
#[napi(skip_typescript, catch_unwind)]
pub fn watch_session_close(session: &External<WatchSession>) {
    session.watch.lock().unwrap_or_else(|p| p.into_inner()).take();
}

/// What a tick found: the changed tasks and, for a watcher of one ORDER, its progress.
#[derive(serde::Serialize)]
pub struct Report {
    changes: Vec<CoreChange>,
    order: Option<OrderProgress>,
}

/// One tick of a watcher, on the libuv pool.
pub struct TickTask {
    watch: Arc<Mutex<Option<Watch>>>,
}

#[napi]
impl Task for TickTask {
    type Output = CoreResult<Option<Report>>;
    type JsValue = Option<Js<Report>>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guarded(|| {
            let mut watch = self.watch.lock().unwrap_or_else(|p| p.into_inner());
            let Some(watch) = watch.as_mut() else { return Ok(None) };
            match watch.tick(&TRACKER, &Clock::system()) {
                Tick::Quiet => Ok(None),
                Tick::Changes(changes, order) => Ok(Some(Report { changes, order })),
                Tick::Failed(e) => Err(e),
            }
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        guarded_js(&env, || match output {
            Ok(changes) => Ok(changes.map(Js)),
            Err(e) => Err(js_error(&env, e)),
        })
    }
}
