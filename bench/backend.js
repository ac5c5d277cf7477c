// What the app's backend writes for one task, for the benchmark's generator
// (bench/generate.js): how long a run's steps take, the lines of the worker
// log the launcher daemon keeps and of the review log the review worker
// writes, and the database rows of the same moments — so that a log and the
// task's change_history tell one story, to the second.
//
// These are the facts of SPEC §3–§4 as src/sample/script.rs (the launch, the
// worker's pipeline, the review and its auto-rework, the BANNER) and
// src/sample/pace.rs (the skewed durations) write them for the sample database:
// mirrored here, not shared, so the benchmark does not lean on the code it measures.
'use strict'

/** The banner the worker prints before its first step line (src/sample/script.rs BANNER). */
const BANNER = [
  '============================================================',
  '[WARNING] 本番DB使用中 (execute_task.py)',
  'AIPM_DB_PATH が未設定のため、本番DB（aipm.db）に直接アクセスします。',
  'テスト・開発目的の場合は以下のように環境変数を設定してください:',
  '  export AIPM_DB_PATH=data/test_aipm.db',
  '  または: AIPM_DB_PATH=data/test_aipm.db python backend/worker/...',
  '============================================================',
]

/** The launcher daemon's name in `assignee` and `changed_by`. */
const LAUNCHER = 'ParallelWorker'
/** The writers' zone: users are in Japan (UTC+9, no daylight saving). */
const JAPAN_MS = 9 * 3600_000
/** Lines end as the Windows backend writes them (SPEC §4). */
const EOL = '\r\n'

const pad = (n, w = 2) => String(n).padStart(w, '0')
const japan = (ms) => new Date(ms + JAPAN_MS)
/** A log line's time: Japan local, `YYYY-MM-DD HH:MM:SS`. */
function logTime(ms) {
  const d = japan(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}
/** The launch stamp of a worker log's name: Japan local, `YYYYMMDD_HHMMSS`. */
function launchStamp(ms) {
  return logTime(ms).replace(/-/g, '').replace(' ', '_').replace(/:/g, '')
}

/**
 * Deterministic random numbers of the durations (mulberry32): a stream of
 * their own, so the rest of the generated data does not move with them.
 */
class Dice {
  constructor(seed) {
    this.seed = seed | 0
  }

  /** Uniform in [0, 1). */
  unit() {
    this.seed = (this.seed + 0x6d2b79f5) | 0
    let t = Math.imul(this.seed ^ (this.seed >>> 15), 1 | this.seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** A whole number of seconds in [low, high]. */
  between(low, high) {
    return low + Math.floor(this.unit() * (high - low + 1))
  }

  /** Log-normal around `median` seconds with spread `sigma` (Box–Muller), whole seconds, at least 1. */
  logNormal(median, sigma) {
    const u = Math.max(this.unit(), Number.MIN_VALUE)
    const v = this.unit()
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    return Math.max(1, Math.round(median * Math.exp(sigma * normal)))
  }

  /**
   * The pace of one run, in seconds (src/sample/pace.rs): the AI step
   * log-normal around 6 minutes (sigma 0.6), one run in twelve four times
   * slower (a model retrying, a large change); the report's time growing with
   * the AI step's; the bookkeeping steps a few seconds; the review's model call
   * log-normal around 90 s.
   */
  pace() {
    const slow = this.unit() < 1 / 12 ? 4 : 1
    const executeTask = this.logNormal(360 * slow, 0.6)
    return {
      start: this.between(1, 4),
      getTaskInfo: this.between(0, 2),
      assignWorker: this.between(1, 3),
      executeTask,
      createReport: 15 + Math.floor(executeTask / 12) + this.between(0, 30),
      updateStatusDone: this.between(1, 2),
      review: this.logNormal(90, 0.5),
    }
  }
}

/** Seconds from the worker's first line to its `[complete] success`. */
const pipelineSeconds = (p) => p.getTaskInfo + p.assignWorker + p.executeTask + p.createReport + p.updateStatusDone

/**
 * A log being written: lines at the time of a clock that the writer moves
 * on. `at` is epoch ms, whole seconds (the database's UTC rows and the log's
 * local lines then name the same second).
 */
class Log {
  constructor(at) {
    this.at = at
    this.lines = []
  }

  wait(seconds) {
    this.at += seconds * 1000
  }

  /** A step line in the worker's shape: `<local time> [INFO] [<sub>] <event>: <detail>`. */
  line(text) {
    this.lines.push(`${logTime(this.at)} [INFO] ${text}`)
  }

  /** The review worker's own line: `<time> [INFO] [<time>] [<PHASE>] <status> - <detail>`. */
  own(text) {
    const t = logTime(this.at)
    this.lines.push(`${t} [INFO] [${t}] ${text}`)
  }

  /** Lines that are not step lines (banner, notes). */
  text(...lines) {
    this.lines.push(...lines)
  }

  toString() {
    return this.lines.join(EOL) + EOL
  }
}

/**
 * The worker's pipeline (`execute_task.py --verbose`, script.rs `pipeline`)
 * for a task with no target files that is already IN_PROGRESS (the daemon
 * launched it) or REWORK (the review worker's auto-rework), run to its
 * `[complete] success`. `state` ({ status, assignee, rejectCount }) is what the
 * database holds of the task, and is updated; `db` receives the rows the worker
 * writes: `db.assignee(at, from, to, by, reason)`, `db.status(at, from, to, by, reason)`,
 * and `db.report(at)` when its report is written.
 */
function pipeline(log, task, pace, state, db) {
  const { id, order, worker } = task
  const rework = state.status === 'REWORK'
  log.line(`[get_task_info] start: ${id}`)
  log.wait(pace.getTaskInfo)
  log.line(`[get_task_info] success: order=${order}, model=opus, reject_count=${state.rejectCount}`)
  log.line('[permission_profile] success: profile=document, tools=6個')
  log.line(`[assign_worker] start: mode=${rework ? 'リワーク' : '通常'}`)
  log.line(`[file_lock_cleanup] success: REWORK再実行前にロック解放 (status=${state.status})`)
  log.wait(pace.assignWorker)
  log.line('[file_lock] skip: 対象ファイル未指定')
  const mode = rework ? 'REWORK（リワーク）' : 'IN_PROGRESS（再実行）'
  const by = `Worker (${worker})`
  log.line(`[assign_worker] info: タスクは${mode}状態 - ステータス維持モード (assignee=${state.assignee ?? ''})`)
  if (state.assignee !== worker) {
    log.line(`[assign_worker] warning: Workerが変更されます: ${state.assignee} → ${worker}`)
    db.assignee(log.at, state.assignee, worker, by, `${state.status}維持 - Worker割当更新`)
    state.assignee = worker
  }
  log.line(`[assign_worker] success: worker=${worker} (${mode}モード)`)
  log.line('[execute_task] start: model=opus, profile=document, allowed_tools=6個')
  log.line(`[create_checkpoint] success: checkpoint=${id}`)
  log.line('[claude_cli] Executing: claude -p (model=opus, timeout=1800s)')
  log.wait(pace.executeTask)
  log.line('[execute_task] success: ')
  log.line('[self_verification] skip: 成果物パス取得不可')
  log.line('[create_report] start: ')
  log.wait(pace.createReport)
  log.line(`[create_report] success: 05_REPORT/REPORT_${id}.md (566バイト)`)
  db.report(log.at)
  log.line('[convert_report_to_html] warning: HTML変換失敗（継続）')
  log.line('[update_status_done] start: ')
  log.wait(pace.updateStatusDone)
  db.status(log.at, state.status, 'DONE', by, null)
  state.status = 'DONE'
  log.line('[update_status_done] success: status=DONE')
  log.line('[file_lock_release] success: ロック解放完了')
  log.line('[auto_review] skipped: レビューはreview_workerで実行されます')
  log.line('[complete] success: Worker処理完了')
}

/**
 * The daemon's launch of a QUEUED task at `at` and its worker's run to the
 * end: the launch rows (assignee → ParallelWorker and QUEUED → IN_PROGRESS,
 * one transaction), the worker log created right after (its name stamped with
 * the launch), the worker's banner `pace.start` seconds later, its pipeline.
 * Returns the log's name and text and when the run ended (the DONE row).
 */
function daemonRun(task, at, pace, state, db) {
  const by = `Worker (${LAUNCHER})`
  db.assignee(at, state.assignee, LAUNCHER, by, null)
  state.assignee = LAUNCHER
  db.status(at, state.status, 'IN_PROGRESS', by, null)
  state.status = 'IN_PROGRESS'
  const log = new Log(at)
  log.wait(pace.start)
  log.text(...BANNER)
  pipeline(log, task, pace, state, db)
  log.text(`【Worker処理完了】${task.id} (1/1)`, `  プロジェクト: ${task.project}`, `  Worker: ${task.worker}`, `  REPORT: 05_REPORT/REPORT_${task.id}.md`)
  return { name: `worker_${task.id}_${launchStamp(at)}.log`, text: log.toString(), endedAt: log.at }
}

/**
 * The review worker's review of a DONE task, started at `at` (script.rs
 * `review`): its model call takes `pace.review`; the verdict `APPROVED`
 * (DONE → COMPLETED, reviewed_at and completed_at set) or `REJECTED` with
 * auto-rework (DONE → REWORK, reject_count + 1, reviewed_at set; then the
 * rework run in the same log, paced by `reworkPace`, REWORK → DONE with
 * reviewed_at reset; the task then waits for its next review). `db` also gets
 * `db.task(fields)` for the task's columns. Returns the review log's text (its
 * first line names `<project>/<task>`) and when it ended.
 */
function review(task, at, verdict, pace, reworkPace, state, db) {
  const { id, project, order, worker } = task
  const log = new Log(at)
  log.own(`[VALIDATE] start - ${project}/${id}`)
  log.own('[VALIDATE] success - バリデーション完了')
  log.own(`[CHECK_STATUS] start - task=${id}`)
  log.own('[CHECK_STATUS] success - status=DONE')
  log.own('[EXECUTE_REVIEW] start - model=sonnet')
  log.line(`[get_task_info] start: ${id}`)
  log.line(`[get_task_info] success: order=${order}, status=DONE, reviewed_at=NULL`)
  log.line('[read_report] success: 05_REPORT/REPORT.md (566文字)')
  log.line('[start_review] success: レビュー開始（tasks.status=DONE, reviewed_at=NULL）')
  log.line('[execute_review] start: model=sonnet')
  log.line('[claude_cli] Executing: claude -p (model=sonnet, timeout=600s)')
  log.wait(pace.review)
  const by = `PM (${worker})`
  log.line(`[execute_review] success: verdict=${verdict}`)
  log.line(`[update_status] start: ${verdict}`)
  const reviewed = log.at
  if (verdict === 'APPROVED') {
    db.status(log.at, state.status, 'COMPLETED', by, 'レビュー承認')
    state.status = 'COMPLETED'
    db.task({ reviewedAt: reviewed, completedAt: reviewed })
    log.line(`[update_status] success: COMPLETED, reviewed_at=${pythonLocal(reviewed)}`)
    log.line('[release_locks] success: ロック解放完了')
  } else if (verdict === 'REJECTED') {
    state.rejectCount++
    db.status(log.at, state.status, 'REWORK', by, 'レビュー差し戻し')
    state.status = 'REWORK'
    db.task({ reviewedAt: reviewed, rejectCount: state.rejectCount })
    log.line(`[update_status] success: REWORK (reject_count=${state.rejectCount}, reviewed_at=${pythonLocal(reviewed)})`)
    log.line('[release_locks] success: ロック解放完了')
    log.line(`[auto_rework] start: task=${id}`)
    pipeline(log, task, reworkPace, state, db)
    db.task({ reviewedAt: null })
    log.line('[auto_rework] success: リワーク完了、verdict=None')
  } else {
    throw new Error(`review: unknown verdict ${verdict}`)
  }
  log.line(`[complete] success: レビュー完了: ${verdict}`)
  log.own(`[EXECUTE_REVIEW] success - verdict=${verdict}`)
  log.text(`[OK] レビュー完了: ${id} → ${verdict}`)
  return { name: `${id}_review.log`, text: log.toString(), endedAt: log.at }
}

/** Python's `datetime.now().isoformat()` in Japan: local, `T`-separated, microseconds. */
function pythonLocal(ms) {
  const d = japan(ms)
  return `${logTime(ms).replace(' ', 'T')}.${pad(d.getUTCMilliseconds(), 3)}000`
}

module.exports = { BANNER, LAUNCHER, Dice, pipelineSeconds, daemonRun, review, logTime, launchStamp, pythonLocal }
