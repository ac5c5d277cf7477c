// What a benchmark run does, in one place: which databases, how long each
// measurement runs, and the one wait the addon's design asks for. bench/run.js
// reads it and records the values it used in the results JSON, so that the
// report (bench/render.js) can say how its figures were made.
'use strict'

/** Every status a task can have (docs/behaviour.md, "Task statuses"): the batches "of one order" read them all. */
const ALL_STATUSES = [
  'QUEUED', 'BLOCKED', 'IN_PROGRESS', 'DONE', 'IN_REVIEW', 'REWORK', 'COMPLETED',
  'CANCELLED', 'SKIPPED', 'REJECTED', 'INTERRUPTED', 'ESCALATED', 'WAITING_INPUT',
]

/**
 * How long the database's files must have been still before an "unchanged
 * database" measurement starts, counted from their own modification times.
 *
 * The addon trusts a file's unchanged size and modification time only once the
 * file has been still for 2 s (its `SETTLE`, src/io/file_state.rs: a write
 * within the same coarse mtime tick as an earlier one leaves the stamp as it
 * was); until then every call reads the database's version in a read
 * transaction, as right after a commit. 2 s and half a second of margin.
 */
const SETTLE_MS = 2500

/** The polling interval of the watchers measured (the app polls every 3 s; this is stricter). */
const WATCH_INTERVAL_MS = 250

/**
 * The two kinds of run. `full` (`npm run bench`) measures the 10k- and
 * 100k-task databases and is the one bench/results.json and bench/RESULTS.md
 * come from; `quick` (`-- --quick`) is a smoke run on the 2k-task database.
 */
const PROFILES = {
  full: {
    /** The sizes of bench/generate.js measured, smallest first. */
    sizes: ['small', 'large'],
    /** Per unchanged-database operation and mode: this long for each side, in alternating rounds. */
    minMs: 3000,
    /** Timed calls after a commit, per operation, variant and mode (each after its own commit). */
    afterCommit: { single: 1000, running: 120, order: 300, watch: 120 },
    /** Sync calls of the long-run RSS measurement (10k-task database, WAL). */
    memoryCalls: 1_000_000,
    /** Sweeps of single calls over every task of the project in the memory scenario (issue 21). */
    sweeps: 3,
    /** RSS is sampled every this many calls in the memory scenario (and around every big call). */
    sampleEvery: 1000,
    /** Commits from another process whose change→callback latency is measured, per mode. */
    latencySamples: 40,
    /** How long the idle CPU of watchers is measured, per mode and count. */
    idleSeconds: 10,
  },
  quick: {
    sizes: ['quick'],
    minMs: 600,
    afterCommit: { single: 100, running: 20, order: 40, watch: 20 },
    memoryCalls: 100_000,
    sweeps: 3,
    sampleEvery: 200,
    latencySamples: 10,
    idleSeconds: 3,
  },
}

/** The parts of a run; `--only=` picks some of them (a partial run). */
const PARTS = ['timings', 'memory', 'watch', 'calibration']

/**
 * The cache budget (MB) the calibration is measured again with when, at the
 * app's default budget, getEstimateCalibration gives no kind at all for a
 * database whose project has logs: the project's gathered runs are kept in a
 * cache of the budget's (its run-history share), and a calibration reads them
 * from there. The report says when that happened.
 */
const CALIBRATION_RETRY_BUDGET_MB = 32

module.exports = { ALL_STATUSES, SETTLE_MS, WATCH_INTERVAL_MS, PROFILES, PARTS, CALIBRATION_RETRY_BUDGET_MB }
