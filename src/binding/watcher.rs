//! `watchExecutionSteps`: a background thread per watcher runs the core's
//! [`Watch`](crate::watch::Watch) every interval and hands changes to the JS
//! listener through a weak threadsafe function, so an idle or forgotten watcher
//! never keeps the process alive, and `close()` stops every callback.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Env;
use napi_derive::napi;

use super::errors::{guarded, js_error, options_arg, string_arg};
use super::options::{presentation, source, WatchOptions};
use super::types::ExecutionStepChange;
use super::TRACKER;
use crate::error::{Error as CoreError, Result as CoreResult};
use crate::time::Clock;
use crate::watch::{Tick, Watch, WatchSpec};

type Delivery = CoreResult<Vec<crate::watch::ExecutionStepChange>>;
type ListenerArgs = FnArgs<(Option<napi::Error<String>>, Vec<ExecutionStepChange>)>;
type Listener = ThreadsafeFunction<Delivery, Unknown<'static>, ListenerArgs, Status, false, true>;

/// A running watcher. `close()` stops it; closing twice is harmless.
#[napi]
pub struct ExecutionStepWatcher {
    listener: Arc<Mutex<Option<Listener>>>,
    stop: Option<Sender<()>>,
}

#[napi]
impl ExecutionStepWatcher {
    /// Stops the watcher: no callback runs after this returns.
    #[napi(catch_unwind)]
    pub fn close(&mut self) {
        self.stop.take();
        if let Some(listener) = self.listener.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // Aborting drops calls already queued, so none reaches the listener.
            #[allow(deprecated)]
            let _ = listener.abort();
        }
    }

    /// Whether `close()` has been called.
    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        self.stop.is_none()
    }
}

impl Drop for ExecutionStepWatcher {
    fn drop(&mut self) {
        self.close();
    }
}

/// Calls `listener(err, changes)` whenever step information of the watched
/// tasks changes: first with every task (`previous: null`), then only tasks
/// whose information differs; a task that leaves the filter (e.g. becomes DONE)
/// gets one last change with its final state. Nothing is reported while nothing
/// changes. Failures (the database vanished, was replaced by something
/// unreadable, …) reach the listener as `err` with a `code`, once, and the
/// watcher keeps trying. Change detection runs off the JS thread on file
/// metadata and SQLite's `data_version`. The watcher does not keep the process
/// alive on its own.
#[napi(
    catch_unwind,
    ts_args_type = "projectId: string, options: WatchOptions | undefined | null, listener: (err: Error | null, changes: ExecutionStepChange[]) => void"
)]
pub fn watch_execution_steps(
    env: Env,
    project_id: Option<Unknown<'_>>,
    options: Option<Unknown<'_>>,
    listener: Option<Unknown<'_>>,
) -> Result<ExecutionStepWatcher> {
    let started = guarded(|| {
        let project_id = string_arg(project_id, "projectId")?;
        let o: WatchOptions = options_arg(&env, options, "options")?;
        let spec = WatchSpec {
            project_id,
            filter: o.filter(),
            source: source(&o.db_path, &o.user_data_dir, o.busy_timeout_ms)?,
            presentation: presentation(o.verbose, &o.locale)?,
        };
        let watch = Watch::new(spec, &TRACKER)?;
        Ok((watch, o.interval()?))
    });
    let (watch, interval) = started.map_err(|e| js_error(&env, e))?;
    let listener = match listener {
        Some(l) if matches!(l.get_type(), Ok(ValueType::Function)) => l,
        _ => return Err(js_error(&env, CoreError::invalid_arg("listener must be a function"))),
    };
    // SAFETY: checked to be a function of this env.
    let function: Function<'_, ListenerArgs, Unknown<'static>> =
        unsafe { Function::from_napi_value(env.raw(), listener.raw()) }?;
    let tsfn: Listener = function
        .build_threadsafe_function::<Delivery>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| {
            let value = guarded(|| {
                ctx.value
                    .map(|changes| changes.into_iter().map(Into::into).collect::<Vec<_>>())
            });
            let args = match value {
                Ok(changes) => (None, changes),
                Err(e) => (
                    Some(napi::Error::new(e.code.as_str().to_owned(), e.message)),
                    Vec::new(),
                ),
            };
            Ok(FnArgs::from(args))
        })?;
    let listener = Arc::new(Mutex::new(Some(tsfn)));
    let (stop, stopped) = mpsc::channel::<()>();
    let shared = Arc::clone(&listener);
    thread::Builder::new()
        .name("aipm-steps-watch".into())
        .spawn(move || run(watch, interval, &shared, &stopped))
        .map_err(|e| {
            js_error(
                &env,
                CoreError::new(
                    crate::error::ErrorCode::Internal,
                    format!("cannot start watcher thread: {e}"),
                ),
            )
        })?;
    Ok(ExecutionStepWatcher {
        listener,
        stop: Some(stop),
    })
}

/// The watcher thread: tick, deliver, wait; until closed.
fn run(mut watch: Watch, interval: Duration, listener: &Mutex<Option<Listener>>, stopped: &mpsc::Receiver<()>) {
    watch_until_stopped(&mut watch, interval, listener, stopped);
    let _ = guarded(|| Ok(watch.finish(&TRACKER)));
}

fn watch_until_stopped(
    watch: &mut Watch,
    interval: Duration,
    listener: &Mutex<Option<Listener>>,
    stopped: &mpsc::Receiver<()>,
) {
    loop {
        let tick = guarded(|| Ok(watch.tick(&TRACKER, &Clock::system())));
        let delivery = match tick {
            Ok(Tick::Quiet) => None,
            Ok(Tick::Changes(changes)) => Some(Ok(changes)),
            Ok(Tick::Failed(e)) | Err(e) => Some(Err(e)),
        };
        if let Some(delivery) = delivery {
            let guard = listener.lock().unwrap_or_else(|p| p.into_inner());
            match guard.as_ref() {
                Some(l) => {
                    l.call(delivery, ThreadsafeFunctionCallMode::NonBlocking);
                }
                None => return,
            }
        }
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => continue,
            // closed (sender dropped) or told to stop
            _ => return,
        }
    }
}
