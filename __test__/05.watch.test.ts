import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ExecutionStepChange, watchExecutionSteps } from '..'
import { LOG_2002, logUntil, PROJECT, UserData } from './helpers'

type Event = { err: (Error & { code?: string }) | null; changes: ExecutionStepChange[]; at: number }

/** Collects listener calls; `next()` resolves with the next one. */
function recorder() {
  const events: Event[] = []
  let waiting: ((e: Event) => void) | null = null
  const listener = (err: Error | null, changes: ExecutionStepChange[]) => {
    const event = { err, changes, at: Date.now() }
    events.push(event)
    if (waiting) {
      const w = waiting
      waiting = null
      w(event)
    }
  }
  const next = (timeoutMs = 5000) =>
    new Promise<Event>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event')), timeoutMs)
      waiting = (e) => {
        clearTimeout(timer)
        resolve(e)
      }
    })
  return { events, listener, next }
}

/** A second process commits, like a worker does (better-sqlite3, rollback journal). */
function commitFromAnotherProcess(dbPath: string, sql: string) {
  const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec(process.argv[2]); db.close()`
  const r = spawnSync(process.execPath, ['-e', script, dbPath, sql], { cwd: path.join(__dirname, '..'), encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let ud: UserData
beforeEach(() => {
  ud = new UserData()
  ud.task('TASK_1', 'IN_PROGRESS', 'Worker A')
  ud.start('TASK_1', 'Worker A', '2026-10-24 01:51:49')
  ud.task('TASK_2', 'IN_PROGRESS', 'Worker B', { order: 'ORDER_120' })
})
afterEach(() => ud.remove())

test('the listener hears the initial state, then a commit from another process, with previous and current', async () => {
  const r = recorder()
  const watcher = watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 50 }, r.listener)
  try {
    const first = await r.next()
    expect(first.err).toBeNull()
    expect(first.changes.map((c) => [c.taskId, c.previous, c.current.currentStep]).sort()).toEqual([
      ['TASK_1', null, 'file_lock'],
      ['TASK_2', null, 'get_task_info'],
    ])
    const committed = Date.now()
    commitFromAnotherProcess(ud.dbPath, `INSERT INTO file_locks (project_id, task_id, file_path) VALUES ('${PROJECT}', 'TASK_1', 'src/a.ts')`)
    const second = await r.next()
    expect(second.changes).toHaveLength(1)
    expect(second.changes[0]).toMatchObject({ projectId: PROJECT, taskId: 'TASK_1' })
    expect(second.changes[0].previous?.currentStep).toBe('file_lock')
    expect(second.changes[0].current.currentStep).toBe('execute_task')
    expect(second.at - committed).toBeLessThan(1000)
  } finally {
    watcher.close()
  }
})

test('a growing worker log is heard; nothing is reported while nothing changes', async () => {
  const r = recorder()
  const watcher = watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 50, taskIds: ['TASK_1'] }, r.listener)
  try {
    await r.next()
    await sleep(600)
    expect(r.events).toHaveLength(1)
    const log = ud.log('TASK_1', '20261024_105149', logUntil(LOG_2002, '[assign_worker] success'))
    await r.next()
    fs.appendFileSync(log, '2026-10-24 10:51:50 [INFO] [execute_task] start: model=opus\r\n')
    const grown = await r.next()
    expect(grown.changes[0].current).toMatchObject({ currentStep: 'execute_task', source: 'log', progressPercent: 57 })
  } finally {
    watcher.close()
  }
})

test('a task that leaves the filter gets one last change with its final state', async () => {
  const r = recorder()
  const watcher = watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 50, orderId: 'ORDER_119' }, r.listener)
  try {
    expect((await r.next()).changes.map((c) => c.taskId)).toEqual(['TASK_1'])
    commitFromAnotherProcess(
      ud.dbPath,
      `UPDATE tasks SET status = 'DONE' WHERE id = 'TASK_1';
       INSERT INTO change_history (entity_type, entity_id, field_name, old_value, new_value) VALUES ('task', 'TASK_1', 'status', 'IN_PROGRESS', 'DONE');`,
    )
    const last = await r.next()
    expect(last.err).toBeNull()
    expect(last.changes).toHaveLength(1)
    expect(last.changes[0].current).toMatchObject({ taskId: 'TASK_1', status: 'DONE', currentStep: null, progressPercent: 100 })
    await sleep(300)
    expect(r.events).toHaveLength(2)
  } finally {
    watcher.close()
  }
})

test('a vanished database reaches the listener as an error with a code, once, and the watcher recovers', async () => {
  const r = recorder()
  const watcher = watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 50 }, r.listener)
  try {
    await r.next()
    const moved = `${ud.dbPath}.moved`
    fs.renameSync(ud.dbPath, moved)
    const failure = await r.next()
    expect(failure.err).toMatchObject({ code: 'ERR_DB_NOT_FOUND', message: expect.stringContaining(ud.dbPath) })
    expect(failure.changes).toEqual([])
    await sleep(300)
    expect(r.events).toHaveLength(2)
    fs.renameSync(moved, ud.dbPath)
    commitFromAnotherProcess(ud.dbPath, `UPDATE tasks SET status = 'QUEUED' WHERE id = 'TASK_2'`)
    const recovered = await r.next()
    expect(recovered.err).toBeNull()
    expect(recovered.changes.map((c) => [c.taskId, c.current.status])).toEqual([['TASK_2', 'QUEUED']])
  } finally {
    watcher.close()
  }
})

test('close() stops every callback and is idempotent; many watchers at once', async () => {
  const recorders = Array.from({ length: 8 }, () => recorder())
  const watchers = recorders.map((r) => watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 20 }, r.listener))
  await Promise.all(recorders.map((r) => (r.events.length ? Promise.resolve() : r.next())))
  for (const w of watchers) {
    expect(w.closed).toBe(false)
    w.close()
    w.close()
    expect(w.closed).toBe(true)
  }
  const counts = recorders.map((r) => r.events.length)
  commitFromAnotherProcess(ud.dbPath, `UPDATE tasks SET assignee = 'Worker Z' WHERE id = 'TASK_2'`)
  await sleep(300)
  expect(recorders.map((r) => r.events.length)).toEqual(counts)
})

test('bad arguments throw ERR_INVALID_ARG', () => {
  const watch = watchExecutionSteps as unknown as (...a: unknown[]) => unknown
  for (const args of [[PROJECT, { dbPath: ud.dbPath }], [PROJECT, { dbPath: ud.dbPath }, 'not a function'], [PROJECT, { dbPath: ud.dbPath, intervalMs: 0 }, () => {}], [7, {}, () => {}]]) {
    expect(() => watch(...args)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
  }
})

test('a watcher never keeps the process alive on its own', async () => {
  const script = `
    const { watchExecutionSteps } = require(${JSON.stringify(path.join(__dirname, '..'))})
    watchExecutionSteps('${PROJECT}', { dbPath: process.argv[1], intervalMs: 50 }, () => {})
    setTimeout(() => {}, 200)`
  const started = Date.now()
  const code = await new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', script, ud.dbPath], { stdio: 'inherit' }).on('exit', resolve))
  expect(code).toBe(0)
  expect(Date.now() - started).toBeLessThan(5000)
})
