'use strict'
// The package's entry. It loads the addon through native.js (the loader:
// platform package, local build or NAPI_RS_NATIVE_LIBRARY_PATH) and adds what
// only JavaScript running in the caller's own context can do (typings: index.d.ts):
//
// * every call passes the caller's `process.env` along, read here at call
//   time: a worker thread's own copy, or the sandboxed copy Jest gives each
//   test file, which native code cannot see (docs/behaviour.md, "The
//   JavaScript API": defaults come from the calling context's environment);
// * a watcher is an unref'd timer that asks the addon, off the JavaScript
//   thread, for changes: it lives until close() or the end of its context,
//   whether or not its handle is kept, and never keeps the process alive;
// * errors are made in the caller's realm (a Jest or Vitest sandbox, a vm
//   context), so `instanceof` works there: a bad argument is a TypeError or a
//   RangeError, a system failure an ExecutionStepsError; all carry a `code`.

const timers = require('node:timers') // the real ones, whatever fake timers a test installs
const native = require('./native.js')

/** The variables default paths come from (src/io/db/location.rs). */
const ENV_NAMES = ['AIPM_DB_PATH', 'AI_PM_USERDATA', 'APPDATA', 'HOME', 'XDG_CONFIG_HOME']

/** `process.env`'s values of ENV_NAMES as the addon takes them: each followed by a NUL, empty when unset. */
function callerEnv() {
  let values = ''
  for (const name of ENV_NAMES) {
    const value = process.env[name]
    values += `${typeof value === 'string' && !value.includes('\0') ? value : ''}\0`
  }
  return values
}

/** A failure of the database or the system (not of an argument): `code` says which (see ErrorCode). */
class ExecutionStepsError extends Error {
  constructor(message, code) {
    super(message)
    this.name = 'ExecutionStepsError'
    this.code = code
  }
}

/** The addon's error made again in this realm: TypeError / RangeError for arguments, ExecutionStepsError otherwise. */
function adopt(err) {
  if (err === null || typeof err !== 'object' || typeof err.code !== 'string') return err
  const Kind = err.name === 'TypeError' ? TypeError : err.name === 'RangeError' ? RangeError : ExecutionStepsError
  if (err instanceof Kind) return err
  const made = Kind === ExecutionStepsError ? new ExecutionStepsError(err.message, err.code) : new Kind(err.message)
  made.code = err.code
  return made
}

/** `fn` with the addon's errors adopted, thrown or rejected. */
function adopting(fn) {
  return (...args) => {
    let result
    try {
      result = fn(...args)
    } catch (err) {
      throw adopt(err)
    }
    // A promise of the addon's realm (not `instanceof` this one's).
    return result !== null && typeof result === 'object' && typeof result.then === 'function'
      ? result.then(undefined, (err) => {
          throw adopt(err)
        })
      : result
  }
}

/** A `Date` (of any realm) as epoch milliseconds; anything else as it is, for the addon to check. */
function epochMs(value) {
  return Object.prototype.toString.call(value) === '[object Date]' ? Date.prototype.getTime.call(value) : value
}

function invalidArg(message) {
  const err = new TypeError(message)
  err.code = 'ERR_INVALID_ARG'
  return err
}

/** Calls `listener` so that an exception it throws surfaces as uncaught, as from an event emitter. */
function deliver(listener, err, changes, order) {
  try {
    listener(err, changes, order)
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown
    })
  }
}

function watchExecutionSteps(projectId, options, listener) {
  const session = adopting(native.watchSession)(projectId, options, callerEnv())
  if (typeof listener !== 'function') {
    native.watchSessionClose(session)
    throw invalidArg('listener must be a function')
  }
  let closed = false
  let looking = false
  const tick = () => {
    if (closed || looking) return
    looking = true
    native.watchSessionTick(session).then(
      (report) => {
        looking = false
        if (!closed && report) deliver(listener, null, report.changes, report.order ?? undefined)
      },
      (err) => {
        looking = false
        if (!closed) deliver(listener, adopt(err), [])
      },
    )
  }
  const timer = timers.setInterval(tick, native.watchSessionInterval(session))
  timer.unref()
  tick()
  return {
    close() {
      if (closed) return
      closed = true
      timers.clearInterval(timer)
      native.watchSessionClose(session)
    },
    get closed() {
      return closed
    },
  }
}

// One `exports.name =` per export, so Node's ESM named imports see each of them.
exports.ExecutionStepsError = ExecutionStepsError
exports.EXECUTION_STEPS = native.EXECUTION_STEPS
exports.__napiBindingTarget = native.__napiBindingTarget
exports.getTaskExecutionStep = adopting((projectId, taskId, options) =>
  native.getTaskExecutionStep(projectId, taskId, options, callerEnv()))
exports.getTaskExecutionStepSync = adopting((projectId, taskId, options) =>
  native.getTaskExecutionStepSync(projectId, taskId, options, callerEnv()))
exports.getMultipleTasksExecutionSteps = adopting((projectId, options) =>
  native.getMultipleTasksExecutionSteps(projectId, options, callerEnv()))
exports.getMultipleTasksExecutionStepsSync = adopting((projectId, options) =>
  native.getMultipleTasksExecutionStepsSync(projectId, options, callerEnv()))
exports.getStepDurationStats = adopting((projectId, options) => native.getStepDurationStats(projectId, options, callerEnv()))
exports.getStepDurationStatsSync = adopting((projectId, options) =>
  native.getStepDurationStatsSync(projectId, options, callerEnv()))
exports.getOrderProgress = adopting((projectId, orderId, options) =>
  native.getOrderProgress(projectId, orderId, options, callerEnv()))
exports.getOrderProgressSync = adopting((projectId, orderId, options) =>
  native.getOrderProgressSync(projectId, orderId, options, callerEnv()))
exports.getEstimateCalibration = adopting((projectId, options) =>
  native.getEstimateCalibration(projectId, options, callerEnv()))
exports.getEstimateCalibrationSync = adopting((projectId, options) =>
  native.getEstimateCalibrationSync(projectId, options, callerEnv()))
exports.recordExecutionStep = adopting((projectId, taskId, step, event, options) =>
  native.recordExecutionStep(projectId, taskId, step, event, options, callerEnv()))
exports.workerLogPath = adopting((projectId, orderId, taskId, options) =>
  native.workerLogPath(projectId, orderId, taskId, options, callerEnv()))
exports.setCacheBudget = adopting(native.setCacheBudget)
exports.watchExecutionSteps = watchExecutionSteps
exports.formatExecutionStepDisplay = adopting(native.formatExecutionStepDisplay)
exports.formatRemaining = adopting((info, locale, now) => native.formatRemaining(info, locale, epochMs(now)))
exports.formatExecutionStepJson = adopting(native.formatExecutionStepJson)
exports.stepOfSubStep = adopting(native.stepOfSubStep)
exports.createSampleDatabase = adopting(native.createSampleDatabase)
