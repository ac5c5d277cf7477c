// Bad input of every kind the addon can meet inside the app's main process:
// files that are not (good) AI PM databases, hostile rows, hostile ids, wrong
// JS types, a locked or vanishing database, junk logs. Each case must give a
// JS Error with a code, or the correct result; leave the database's bytes as
// they were; and leave the process alive. (02.errors covers the basic
// missing/empty/random/directory files, the single-task sync argument checks
// and the async busy case; this suite goes further.)
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  createSampleDatabase,
  ExecutionStepChange,
  formatExecutionStepDisplay,
  getMultipleTasksExecutionSteps,
  getMultipleTasksExecutionStepsSync,
  getStepDurationStats,
  getStepDurationStatsSync,
  getTaskExecutionStep,
  getTaskExecutionStepSync,
  recordExecutionStep,
  watchExecutionSteps,
} from '..'
import { asyncCode, fileHash, FIXTURES, holdExclusiveLock, LOG_2001, logUntil, ORDER, PROJECT, syncCode, UserData } from './helpers'

// Untyped views of the API, to pass what TypeScript would refuse.
type AnyFn = (...args: unknown[]) => unknown
const api = {
  taskSync: getTaskExecutionStepSync as unknown as AnyFn,
  task: getTaskExecutionStep as unknown as (...args: unknown[]) => Promise<unknown>,
  batchSync: getMultipleTasksExecutionStepsSync as unknown as AnyFn,
  batch: getMultipleTasksExecutionSteps as unknown as (...args: unknown[]) => Promise<unknown>,
  stats: getStepDurationStats as unknown as (...args: unknown[]) => Promise<unknown>,
  statsSync: getStepDurationStatsSync as unknown as AnyFn,
  record: recordExecutionStep as unknown as AnyFn,
  watch: watchExecutionSteps as unknown as AnyFn,
  format: formatExecutionStepDisplay as unknown as AnyFn,
  sample: createSampleDatabase as unknown as AnyFn,
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A commit from another process, as the workers make them. (Not from this
 * process while a watcher reads: two copies of SQLite in one process — the
 * test's better-sqlite3 and the addon's — do not see each other's locks.)
 */
function commitFromAnotherProcess(dbPath: string, sql: string) {
  const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec(process.argv[2]); db.close()`
  const r = spawnSync(process.execPath, ['-e', script, dbPath, sql], { cwd: path.join(__dirname, '..'), encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
}

let ud: UserData
let scratch: string
beforeEach(() => {
  ud = new UserData()
  ud.task('TASK_1', 'IN_PROGRESS', 'Worker A')
  ud.start('TASK_1', 'Worker A', '2026-10-24 01:51:49')
  scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-bad-')))
})
afterEach(() => {
  // The process is alive and the addon still answers after every case.
  expect(process.pid).toBeGreaterThan(0)
  expect(getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath }).status).toBe('IN_PROGRESS')
  ud.remove()
  fs.rmSync(scratch, { recursive: true, force: true })
})

/** A file in the scratch folder. */
function file(name: string, bytes: Buffer | string): string {
  const p = path.join(scratch, name)
  fs.writeFileSync(p, bytes)
  return p
}

/** An SQLite file built by better-sqlite3 from `sql`, in the scratch folder. */
function sqliteFile(name: string, sql: string): string {
  const p = path.join(scratch, name)
  const db = new Database(p)
  db.exec(sql)
  db.close()
  return p
}

/** Every read entry point on `dbPath`, each expected to fail with `code`; the file's bytes unchanged. */
async function everyReaderFails(dbPath: string, code: string) {
  const before = fs.existsSync(dbPath) && fs.statSync(dbPath).isFile() ? fileHash(dbPath) : null
  const opts = { dbPath, busyTimeoutMs: 200 }
  const got = {
    taskSync: syncCode(() => getTaskExecutionStepSync(PROJECT, 'TASK_1', opts)),
    task: await asyncCode(getTaskExecutionStep(PROJECT, 'TASK_1', opts)),
    batchSync: syncCode(() => getMultipleTasksExecutionStepsSync(PROJECT, opts)),
    batch: await asyncCode(getMultipleTasksExecutionSteps(PROJECT, { ...opts, taskIds: ['TASK_1'] })),
    statsSync: syncCode(() => getStepDurationStatsSync(PROJECT, opts)),
    stats: await asyncCode(getStepDurationStats(PROJECT, opts)),
  }
  expect(got).toEqual({ taskSync: code, task: code, batchSync: code, batch: code, statsSync: code, stats: code })
  if (before !== null) expect(fileHash(dbPath)).toBe(before)
  expect(fs.existsSync(`${dbPath}-journal`)).toBe(false)
}

/** `recordExecutionStep` on `dbPath` fails with `code` and writes nothing. */
function recordFails(dbPath: string, code: string) {
  const before = fileHash(dbPath)
  expect(syncCode(() => recordExecutionStep(PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath, busyTimeoutMs: 200 }))).toBe(code)
  expect(fileHash(dbPath)).toBe(before)
}

/** The first listener call of a watcher on `dbPath`, closed right after. */
async function firstDelivery(dbPath: string): Promise<{ err: (Error & { code?: string }) | null; changes: ExecutionStepChange[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the watcher said nothing')), 5000)
    const watcher = watchExecutionSteps(PROJECT, { dbPath, intervalMs: 20, busyTimeoutMs: 100 }, (err, changes) => {
      clearTimeout(timer)
      watcher.close()
      resolve({ err, changes })
    })
  })
}

// ------------------------------------------------------------- files

describe('files that are not good AI PM databases', () => {
  test('a directory: ERR_DB_NOT_FOUND from every reader, the watcher and the recorder', async () => {
    await everyReaderFails(scratch, 'ERR_DB_NOT_FOUND')
    expect(syncCode(() => recordExecutionStep(PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath: scratch }))).toBe('ERR_DB_NOT_FOUND')
    expect((await firstDelivery(scratch)).err?.code).toBe('ERR_DB_NOT_FOUND')
    expect(fs.readdirSync(scratch)).toEqual([])
  })

  test('an empty file: ERR_NOT_AIPM_DB, and recording does not turn it into a database', async () => {
    const empty = file('empty.db', '')
    await everyReaderFails(empty, 'ERR_NOT_AIPM_DB')
    recordFails(empty, 'ERR_NOT_AIPM_DB')
    expect(fs.statSync(empty).size).toBe(0)
  })

  test('random bytes: ERR_DB_CORRUPT everywhere, recording included', async () => {
    const random = file('random.db', crypto.randomBytes(64 * 1024))
    await everyReaderFails(random, 'ERR_DB_CORRUPT')
    recordFails(random, 'ERR_DB_CORRUPT')
    expect((await firstDelivery(random)).err?.code).toBe('ERR_DB_CORRUPT')
  })

  test('an SQLite header followed by garbage: ERR_DB_CORRUPT', async () => {
    const header = Buffer.from('SQLite format 3\0', 'latin1')
    const p = file('header.db', Buffer.concat([header, crypto.randomBytes(8192 - header.length)]))
    await everyReaderFails(p, 'ERR_DB_CORRUPT')
  })

  test('a truncated database (the first page of many): ERR_DB_CORRUPT, the file untouched', async () => {
    ud.write((db) => {
      const insert = db.prepare(`INSERT INTO tasks (id, project_id, order_id, title, status, assignee) VALUES (?, ?, ?, ?, ?, 'Worker B')`)
      db.transaction(() => {
        for (let i = 2; i <= 400; i++) insert.run(`TASK_${i}`, PROJECT, ORDER, `TASK_${i} のタスク`, i % 3 ? 'IN_PROGRESS' : 'DONE')
      })()
    })
    const whole = fs.readFileSync(ud.dbPath)
    expect(whole.length).toBeGreaterThan(16 * 4096)
    const truncated = file('truncated.db', whole.subarray(0, 4096))
    await everyReaderFails(truncated, 'ERR_DB_CORRUPT')
    recordFails(truncated, 'ERR_DB_CORRUPT')
  })

  test("another app's SQLite database: ERR_NOT_AIPM_DB, and the recorder creates no table in it", async () => {
    const other = sqliteFile('notes.db', `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hello');`)
    await everyReaderFails(other, 'ERR_NOT_AIPM_DB')
    recordFails(other, 'ERR_NOT_AIPM_DB')
    expect((await firstDelivery(other)).err?.code).toBe('ERR_NOT_AIPM_DB')
  })

  test("another app's `tasks` table (no project_id/status): ERR_NOT_AIPM_DB", async () => {
    const todo = sqliteFile('todo.db', `CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT, done INTEGER); INSERT INTO tasks (title, done) VALUES ('milk', 0);`)
    await everyReaderFails(todo, 'ERR_NOT_AIPM_DB')
    recordFails(todo, 'ERR_NOT_AIPM_DB')
  })

  test('a dbPath that looks like an SQLite URI is a plain path: ERR_DB_NOT_FOUND, nothing created', async () => {
    const uri = `file:${path.join(scratch, 'made.db')}?mode=rwc`
    await everyReaderFails(uri, 'ERR_DB_NOT_FOUND')
    expect(syncCode(() => recordExecutionStep(PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath: uri }))).toBe('ERR_DB_NOT_FOUND')
    expect(fs.readdirSync(scratch)).toEqual([])
  })
})

// ------------------------------------------------------ old and odd schemas

describe('old schemas and hostile rows give correct results', () => {
  test('the oldest schema: tasks only, no change_history, no file_locks', () => {
    const p = sqliteFile(
      'oldest.db',
      `CREATE TABLE tasks (id TEXT NOT NULL, project_id TEXT NOT NULL, status TEXT NOT NULL);
       INSERT INTO tasks VALUES ('TASK_1', '${PROJECT}', 'IN_PROGRESS'), ('TASK_2', '${PROJECT}', 'DONE');`,
    )
    const before = fileHash(p)
    const info = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: p })
    expect(info).toMatchObject({ taskId: 'TASK_1', status: 'IN_PROGRESS', error: null })
    expect(Object.keys(getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: p }))).toEqual(['TASK_1'])
    expect(getTaskExecutionStepSync(PROJECT, 'TASK_2', { dbPath: p })).toMatchObject({ status: 'DONE', error: null })
    expect(getStepDurationStatsSync(PROJECT, { dbPath: p })).toHaveLength(7)
    expect(fileHash(p)).toBe(before)
  })

  test('the legacy schema (before file_locks and change_history.project_id) reads its history', () => {
    const legacy = new UserData(fs.readFileSync(path.join(FIXTURES, 'aipm-schema-legacy.sql'), 'utf8'))
    try {
      legacy.task('TASK_1', 'IN_PROGRESS', 'Worker A')
      legacy.write((db) =>
        db.exec(`INSERT INTO change_history (entity_type, entity_id, field_name, old_value, new_value, changed_by, changed_at)
                 VALUES ('task', 'TASK_1', 'status', 'QUEUED', 'IN_PROGRESS', 'worker', '2026-10-24 01:51:49')`),
      )
      const before = fileHash(legacy.dbPath)
      const info = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: legacy.dbPath })
      expect(info).toMatchObject({ status: 'IN_PROGRESS', error: null, startedAt: '2026-10-24T10:51:49+09:00' })
      expect(fileHash(legacy.dbPath)).toBe(before)
    } finally {
      legacy.remove()
    }
  })

  test('text columns holding bytes that are not UTF-8 are read, replaced, never rejected', () => {
    ud.write((db) => {
      db.exec(`INSERT INTO tasks (id, project_id, order_id, title, status, assignee) VALUES
                 ('TASK_BAD', '${PROJECT}', CAST(x'ff2e2e' AS TEXT), CAST(x'c328' AS TEXT), 'IN_PROGRESS', CAST(x'e29d' AS TEXT))`)
      db.exec(`INSERT INTO change_history (entity_type, entity_id, field_name, old_value, new_value, changed_at)
                 VALUES ('task', 'TASK_BAD', 'status', CAST(x'80' AS TEXT), 'IN_PROGRESS', CAST(x'fffe' AS TEXT))`)
    })
    const before = fileHash(ud.dbPath)
    const info = getTaskExecutionStepSync(PROJECT, 'TASK_BAD', { dbPath: ud.dbPath, verbose: true })
    expect(info).toMatchObject({ taskId: 'TASK_BAD', status: 'IN_PROGRESS', error: null, assignee: '\ufffd' })
    expect(Object.keys(getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath })).sort()).toEqual(['TASK_1', 'TASK_BAD'])
    expect(fileHash(ud.dbPath)).toBe(before)
  })

  test('a status nobody knows is reported as it is, not running, no step', () => {
    ud.task('TASK_ODD', 'ON_FIRE', 'Worker B')
    ud.task('TASK_EMPTY', '', 'Worker B')
    const odd = getTaskExecutionStepSync(PROJECT, 'TASK_ODD', { dbPath: ud.dbPath })
    expect(odd).toMatchObject({ status: 'ON_FIRE', currentStep: null, stepIndex: -1, error: null })
    expect(getTaskExecutionStepSync(PROJECT, 'TASK_EMPTY', { dbPath: ud.dbPath })).toMatchObject({ status: '', currentStep: null, stepIndex: -1 })
    expect(Object.keys(getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, statusFilter: ['ON_FIRE'] }))).toEqual(['TASK_ODD'])
  })

  test('malformed task metadata JSON is ignored: same answer as without it', () => {
    ud.write((db) => db.exec(`ALTER TABLE tasks ADD COLUMN metadata TEXT`))
    const plain = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath, verbose: true })
    const hostile = ['{not json', '[1,2]', '"execute_task"', '{"current_step": 7, "file_locked": "yes"}', '['.repeat(100_000), '{"current_step": "nonsense"}']
    for (const metadata of hostile) {
      ud.write((db) => db.prepare(`UPDATE tasks SET metadata = ? WHERE id = 'TASK_1'`).run(metadata))
      const before = fileHash(ud.dbPath)
      const info = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath, verbose: true })
      expect([metadata.slice(0, 40), { ...info, steps: null }]).toEqual([metadata.slice(0, 40), { ...plain, steps: null }])
      expect(fileHash(ud.dbPath)).toBe(before)
    }
  })

  test('unparseable and out-of-range timestamps read as unknown times, not errors', () => {
    const bad = ['yesterday', '', '2026-13-40 99:99:99', '9999-12-31 23:59:59', '0000-01-01 00:00:00', '２０２６-10-24 01:51:49']
    bad.forEach((t, i) => {
      ud.task(`TASK_T${i}`, 'IN_PROGRESS', 'Worker B', { updated: t })
      ud.history(`TASK_T${i}`, 'status', 'QUEUED', 'IN_PROGRESS', t)
    })
    ud.write((db) => db.exec(`UPDATE tasks SET started_at = 12345, updated_at = x'00ff' WHERE id = 'TASK_T0'`))
    const before = fileHash(ud.dbPath)
    const all = getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, verbose: true })
    bad.forEach((_, i) => {
      const info = all[`TASK_T${i}`]
      expect(info).toMatchObject({ status: 'IN_PROGRESS', error: null })
      // Whatever is shown is RFC 3339 with an offset, or null.
      for (const t of [info.startedAt, info.lastUpdated]) {
        if (t !== null) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/)
      }
    })
    expect(getStepDurationStatsSync(PROJECT, { dbPath: ud.dbPath })).toHaveLength(7)
    expect(fileHash(ud.dbPath)).toBe(before)
  })
})

// ---------------------------------------------------------------------- ids

describe('hostile ids', () => {
  test('empty ids are ERR_INVALID_ARG in every entry point', async () => {
    const dbPath = ud.dbPath
    const before = fileHash(dbPath)
    expect(syncCode(() => getTaskExecutionStepSync(PROJECT, '', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => getMultipleTasksExecutionStepsSync('', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(await asyncCode(getMultipleTasksExecutionSteps(PROJECT, { dbPath, taskIds: ['TASK_1', ''] }))).toBe('ERR_INVALID_ARG')
    expect(await asyncCode(getStepDurationStats('', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => recordExecutionStep(PROJECT, '', 'execute_task', 'start', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => api.watch('', { dbPath }, () => {}))).toBe('ERR_INVALID_ARG')
    expect(fileHash(dbPath)).toBe(before)
  })

  test('huge ids (1 MB) are ERR_INVALID_ARG, not a slow query', async () => {
    const dbPath = ud.dbPath
    const huge = 'T'.repeat(1 << 20)
    const before = fileHash(dbPath)
    const started = Date.now()
    expect(syncCode(() => getTaskExecutionStepSync(PROJECT, huge, { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => getTaskExecutionStepSync(huge, 'TASK_1', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(await asyncCode(getMultipleTasksExecutionSteps(PROJECT, { dbPath, taskIds: [huge] }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => recordExecutionStep(PROJECT, huge, 'execute_task', 'start', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => recordExecutionStep(PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath, detail: huge.repeat(20) }))).toBe('ERR_INVALID_ARG')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(fileHash(dbPath)).toBe(before)
  })

  test('many task ids at once (10 000) are answered, unknown ones simply absent', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `NOPE_${i}`).concat('TASK_1')
    expect(Object.keys(getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, taskIds: ids }))).toEqual(['TASK_1'])
  })

  test('NUL-bearing ids and paths are ERR_INVALID_ARG everywhere', async () => {
    const dbPath = ud.dbPath
    const before = fileHash(dbPath)
    expect(syncCode(() => getTaskExecutionStepSync(`${PROJECT}\0`, 'TASK_1', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => getMultipleTasksExecutionStepsSync(PROJECT, { dbPath, taskIds: ['TASK\u00001'] }))).toBe('ERR_INVALID_ARG')
    expect(await asyncCode(getStepDurationStats(PROJECT, { dbPath: `${dbPath}\0.evil` }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => recordExecutionStep(PROJECT, 'TASK\u00001', 'execute_task', 'start', { dbPath }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => recordExecutionStep(PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath: `${dbPath}\0` }))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => api.sample(path.join(scratch, 'x\0y')))).toBe('ERR_INVALID_ARG')
    expect(fileHash(dbPath)).toBe(before)
    expect(fs.readdirSync(scratch)).toEqual([])
  })

  test('path-traversing ids in the database never lead to a log outside the user-data folder', () => {
    // A log that would put the task in the AI step, planted where `..` ids would lead.
    const outside = path.join(scratch, 'RESULT', 'LOGS')
    fs.mkdirSync(outside, { recursive: true })
    for (const task of ['..', '../../x', 'TASK_TRAV']) {
      const name = task.includes('/') ? 'x' : task
      fs.writeFileSync(path.join(outside, `worker_${name}_20261024_105205.log`), logUntil(LOG_2001, '[execute_task] start'))
    }
    const evil = path.relative(path.join(ud.root, 'PROJECTS', PROJECT, 'RESULT'), scratch)
    ud.task('TASK_TRAV', 'IN_PROGRESS', 'Worker B', { order: evil })
    ud.task('..', 'IN_PROGRESS', 'Worker B', { order: `${evil}/RESULT` })
    ud.task('../../x', 'IN_PROGRESS', 'Worker B', { order: '..' })
    // and a LOGS folder that is a link to the outside
    const linked = path.join(ud.root, 'PROJECTS', PROJECT, 'RESULT', 'ORDER_LINK')
    fs.mkdirSync(linked, { recursive: true })
    fs.symlinkSync(outside, path.join(linked, 'LOGS'))
    ud.task('TASK_LINK', 'IN_PROGRESS', 'Worker B', { order: 'ORDER_LINK' })
    fs.writeFileSync(path.join(outside, 'worker_TASK_LINK_20261024_105205.log'), logUntil(LOG_2001, '[execute_task] start'))

    const before = fileHash(ud.dbPath)
    const all = getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, taskIds: ['TASK_TRAV', '..', '../../x', 'TASK_LINK'] })
    expect(Object.keys(all).sort()).toEqual(['..', '../../x', 'TASK_LINK', 'TASK_TRAV'])
    for (const info of Object.values(all)) {
      expect([info.taskId, info.source]).not.toEqual([info.taskId, 'log'])
      expect([info.taskId, info.currentStep]).not.toEqual([info.taskId, 'execute_task'])
    }
    expect(getTaskExecutionStepSync('..', 'TASK_1', { dbPath: ud.dbPath })).toMatchObject({ currentStep: null, stepIndex: -1 })
    expect(fileHash(ud.dbPath)).toBe(before)
  })
})

// ------------------------------------------------------------ wrong JS types

describe('wrong JS types', () => {
  const anything: unknown[] = [undefined, null, 0, NaN, -1, 1e308, true, '', 'x', [], ['TASK_1'], {}, () => 1, Symbol('s'), 10n, new Date(), Buffer.from('TASK_1')]

  test('the batch readers accept only a string project and an options object', async () => {
    const dbPath = ud.dbPath
    const before = fileHash(dbPath)
    for (const value of anything) {
      if (typeof value !== 'string') {
        expect([String(value), syncCode(() => api.batchSync(value, { dbPath }))]).toEqual([String(value), 'ERR_INVALID_ARG'])
        expect([String(value), await asyncCode(api.batch(value, { dbPath }))]).toEqual([String(value), 'ERR_INVALID_ARG'])
      }
    }
    const badOptions: unknown[] = [
      'options',
      42,
      { dbPath, taskIds: 'TASK_1' },
      { dbPath, taskIds: [1, 2] },
      { dbPath, taskIds: [null] },
      { dbPath, statusFilter: 'IN_PROGRESS' },
      { dbPath, orderId: 5 },
      { dbPath, verbose: 1 },
      { dbPath, locale: 'fr' },
      { dbPath, busyTimeoutMs: Infinity },
      { dbPath, busyTimeoutMs: '100' },
      { dbPath: ['a'] },
      { userDataDir: 5, dbPath },
    ]
    for (const options of badOptions) {
      expect([options, syncCode(() => api.batchSync(PROJECT, options))]).toEqual([options, 'ERR_INVALID_ARG'])
      expect([options, await asyncCode(api.batch(PROJECT, options))]).toEqual([options, 'ERR_INVALID_ARG'])
    }
    expect(fileHash(dbPath)).toBe(before)
  })

  test('an options object whose getter throws: an Error (ERR_INVALID_ARG or the getter\'s own), nothing else', async () => {
    const trap = {
      get dbPath(): string {
        throw new Error('trap')
      },
    }
    /** What a call ends in: the code or message of what it threw or rejected with. */
    const outcome = async (fn: () => unknown) => {
      try {
        await fn()
        return 'returned'
      } catch (e) {
        expect(Object.prototype.toString.call(e)).toBe('[object Error]')
        return (e as { code?: string }).code ?? (e as Error).message
      }
    }
    const calls: [string, () => unknown][] = [
      ['getTaskExecutionStepSync', () => getTaskExecutionStepSync(PROJECT, 'TASK_1', trap)],
      ['getTaskExecutionStep', () => api.task(PROJECT, 'TASK_1', trap)],
      ['getMultipleTasksExecutionStepsSync', () => getMultipleTasksExecutionStepsSync(PROJECT, trap)],
      ['getMultipleTasksExecutionSteps', () => api.batch(PROJECT, trap)],
      ['getStepDurationStats', () => api.stats(PROJECT, trap)],
      ['recordExecutionStep', () => api.record(PROJECT, 'TASK_1', 'execute_task', 'start', trap)],
      ['watchExecutionSteps', () => api.watch(PROJECT, trap, () => {})],
    ]
    for (const [name, fn] of calls) {
      expect([name, ['ERR_INVALID_ARG', 'trap'].includes(await outcome(fn))]).toEqual([name, true])
    }
  })

  test('getStepDurationStats: bad since, orderId and options are ERR_INVALID_ARG', async () => {
    const dbPath = ud.dbPath
    const cases: unknown[][] = [
      [42],
      [PROJECT, 'x'],
      [PROJECT, { dbPath, since: 'not a time' }],
      [PROJECT, { dbPath, since: NaN }],
      [PROJECT, { dbPath, since: Infinity }],
      [PROJECT, { dbPath, since: 1e300 }],
      [PROJECT, { dbPath, since: {} }],
      [PROJECT, { dbPath, orderId: [] }],
      [PROJECT, { dbPath, locale: 'de' }],
    ]
    for (const args of cases) {
      expect([args, syncCode(() => api.statsSync(...args))]).toEqual([args, 'ERR_INVALID_ARG'])
      expect([args, await asyncCode(api.stats(...args))]).toEqual([args, 'ERR_INVALID_ARG'])
    }
  })

  test('recordExecutionStep: wrong types, unknown steps and events are refused and nothing is written', () => {
    const dbPath = ud.dbPath
    const before = fileHash(dbPath)
    const cases: unknown[][] = [
      [],
      [PROJECT, 'TASK_1'],
      [PROJECT, 'TASK_1', 'execute_task'],
      [PROJECT, 'TASK_1', 'execute_task', 5, { dbPath }],
      [PROJECT, 'TASK_1', ['execute_task'], 'start', { dbPath }],
      [PROJECT, 'TASK_1', 'execute_task', 'jumped', { dbPath }],
      [PROJECT, 'TASK_1', 'claude_cli', 'start', { dbPath }],
      [PROJECT, 'TASK_1', '', 'start', { dbPath }],
      [PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath, detail: 42 }],
      [PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath, busyTimeoutMs: -5 }],
      [PROJECT, 'TASK_1', 'execute_task', 'start', 'options'],
    ]
    for (const args of cases) {
      expect([args, syncCode(() => api.record(...args))]).toEqual([args, 'ERR_INVALID_ARG'])
    }
    expect(syncCode(() => recordExecutionStep(PROJECT, 'NO_SUCH_TASK', 'execute_task', 'start', { dbPath }))).toBe('ERR_TASK_NOT_FOUND')
    expect(fileHash(dbPath)).toBe(before)
  })

  test('watchExecutionSteps: bad options and listeners throw ERR_INVALID_ARG and start nothing', () => {
    const dbPath = ud.dbPath
    const cases: unknown[][] = [
      [],
      [PROJECT, { dbPath }],
      [PROJECT, { dbPath }, 'not a function'],
      [PROJECT, { dbPath }, {}],
      [42, { dbPath }, () => {}],
      [PROJECT, 'options', () => {}],
      [PROJECT, { dbPath, intervalMs: 0 }, () => {}],
      [PROJECT, { dbPath, intervalMs: NaN }, () => {}],
      [PROJECT, { dbPath, intervalMs: -1 }, () => {}],
      [PROJECT, { dbPath, taskIds: [''] }, () => {}],
      [PROJECT, { dbPath, busyTimeoutMs: 1e12 }, () => {}],
    ]
    for (const args of cases) {
      expect([args, syncCode(() => api.watch(...args))]).toEqual([args, 'ERR_INVALID_ARG'])
    }
  })

  test('formatExecutionStepDisplay: non-objects are ERR_INVALID_ARG; hostile fields still format', () => {
    for (const info of [undefined, 'info', 42, true, Symbol('x')]) {
      expect([String(info), syncCode(() => api.format(info))]).toEqual([String(info), 'ERR_INVALID_ARG'])
    }
    const info = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath })
    expect(syncCode(() => api.format(info, 'fr'))).toBe('ERR_INVALID_ARG')
    expect(syncCode(() => api.format(info, 7))).toBe('ERR_INVALID_ARG')
    // Fields of the wrong type, absurd numbers, a huge string: a line, never a throw.
    const hostile = [
      {},
      [],
      { currentStep: 42, stepIndex: 'three', status: null },
      { currentStep: 'execute_task', stepIndex: NaN, totalSteps: Infinity, progressPercent: -1e308, status: 'IN_PROGRESS' },
      { currentStep: 'execute_task', stepIndex: 1e300, totalSteps: -7, progressPercent: 57, status: 'IN_PROGRESS' },
      { error: 'x'.repeat(1 << 20) },
      {
        get currentStep(): string {
          throw new Error('trap')
        },
        status: 'IN_PROGRESS',
      },
    ]
    for (const h of hostile) {
      let out: unknown
      try {
        out = api.format(h)
      } catch (e) {
        out = (e as { code?: string }).code ?? (e as Error).message
      }
      expect(typeof out === 'string' && !/-?\d{5,}|undefined|NaN|Infinity/.test(out as string)).toBe(true)
    }
    const absurd = { currentStep: 'execute_task', stepIndex: 1e300, totalSteps: -7, progressPercent: -1e308, status: 'IN_PROGRESS' }
    expect(formatExecutionStepDisplay(absurd as never)).toBe('[4/7] AI実行中 (57%)')
    expect(formatExecutionStepDisplay({ ...info, stepIndex: 3, totalSteps: 7, progressPercent: 57, currentStep: 'execute_task' })).toMatch(/^\[4\/7\] /)
  })

  test('createSampleDatabase: wrong types, a file as the folder, an existing database', () => {
    for (const dir of [undefined, null, 42, {}, ['a'], '']) {
      expect([String(dir), syncCode(() => api.sample(dir))]).toEqual([String(dir), 'ERR_INVALID_ARG'])
    }
    const aFile = file('not-a-folder', 'x')
    expect(syncCode(() => createSampleDatabase(aFile))).toBe('ERR_DB_IO')
    expect(fs.readFileSync(aFile, 'utf8')).toBe('x')
    const before = fileHash(ud.dbPath)
    expect(syncCode(() => createSampleDatabase(ud.root))).toBe('ERR_INVALID_ARG')
    expect(fileHash(ud.dbPath)).toBe(before)
  })
})

// ------------------------------------------------------- locks and vanishing

describe('a locked or vanishing database', () => {
  test('exclusively locked: every entry point gives ERR_DB_BUSY within its timeout, and works after', async () => {
    const dbPath = ud.dbPath
    const lock = await holdExclusiveLock(dbPath)
    try {
      const opts = { dbPath, busyTimeoutMs: 250 }
      const timed = async (what: () => Promise<string | undefined>) => {
        const started = Date.now()
        const code = await what()
        return { code, waited: Date.now() - started }
      }
      const results = [
        await timed(async () => syncCode(() => getTaskExecutionStepSync(PROJECT, 'TASK_1', opts))),
        await timed(async () => syncCode(() => getMultipleTasksExecutionStepsSync(PROJECT, opts))),
        await timed(() => asyncCode(getMultipleTasksExecutionSteps(PROJECT, opts))),
        await timed(() => asyncCode(getStepDurationStats(PROJECT, opts))),
        await timed(async () => syncCode(() => recordExecutionStep(PROJECT, 'TASK_1', 'execute_task', 'start', opts))),
      ]
      for (const r of results) {
        expect(r.code).toBe('ERR_DB_BUSY')
        expect(r.waited).toBeGreaterThanOrEqual(200)
        expect(r.waited).toBeLessThan(5000)
      }
      const watched = await firstDelivery(dbPath)
      expect(watched.err?.code).toBe('ERR_DB_BUSY')
    } finally {
      await lock.release()
    }
    const before = fileHash(dbPath)
    expect(Object.keys(getMultipleTasksExecutionStepsSync(PROJECT, { dbPath }))).toEqual(['TASK_1'])
    expect((await getStepDurationStats(PROJECT, { dbPath })).length).toBe(7)
    expect(fileHash(dbPath)).toBe(before)
    recordExecutionStep(PROJECT, 'TASK_1', 'execute_task', 'start', { dbPath })
    expect(getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath })).toMatchObject({ currentStep: 'execute_task', source: 'recorded' })
  })

  test('a watched database deleted, then replaced by junk, then restored: one error each, then changes again', async () => {
    const events: { code: string | null; changes: ExecutionStepChange[] }[] = []
    const watcher = watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 20 }, (err, changes) => {
      events.push({ code: err ? ((err as { code?: string }).code ?? 'none') : null, changes })
    })
    const until = async (n: number) => {
      for (let i = 0; i < 250 && events.length < n; i++) await sleep(20)
      expect(events.length).toBeGreaterThanOrEqual(n)
    }
    try {
      await until(1)
      expect(events[0].changes.map((c) => c.taskId)).toEqual(['TASK_1'])
      const saved = fs.readFileSync(ud.dbPath)
      fs.unlinkSync(ud.dbPath)
      await until(2)
      expect(events[1].code).toBe('ERR_DB_NOT_FOUND')
      fs.writeFileSync(ud.dbPath, crypto.randomBytes(8192))
      await until(3)
      expect(events[2].code).toBe('ERR_DB_CORRUPT')
      await sleep(200)
      expect(events).toHaveLength(3) // the same failure is not repeated
      fs.writeFileSync(`${ud.dbPath}.new`, saved)
      fs.renameSync(`${ud.dbPath}.new`, ud.dbPath)
      commitFromAnotherProcess(ud.dbPath, `UPDATE tasks SET status = 'DONE' WHERE id = 'TASK_1'`)
      await until(4)
      expect(events[3].code).toBeNull()
      expect(events[3].changes.map((c) => [c.taskId, c.current.status])).toEqual([['TASK_1', 'DONE']])
    } finally {
      watcher.close()
    }
    ud.write((db) => db.exec(`UPDATE tasks SET status = 'IN_PROGRESS' WHERE id = 'TASK_1'`))
  })
})

// ----------------------------------------------------------------- logs

describe('junk and oversized worker logs', () => {
  const logsDir = () => path.join(ud.root, 'PROJECTS', PROJECT, 'RESULT', ORDER, 'LOGS')

  test('a log of random bytes, a directory and a FIFO named like logs: ignored, no hang', () => {
    ud.log('TASK_1', '20261024_105205', logUntil(LOG_2001, '[assign_worker] start'))
    fs.writeFileSync(path.join(logsDir(), 'worker_TASK_1_20261024_110000.log'), crypto.randomBytes(256 * 1024))
    fs.mkdirSync(path.join(logsDir(), 'worker_TASK_1_20261024_120000.log'))
    const fifo = path.join(logsDir(), 'worker_TASK_1_20261024_130000.log')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const before = fileHash(ud.dbPath)
    const started = Date.now()
    const info = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath })
    expect(Date.now() - started).toBeLessThan(5000)
    expect(info).toMatchObject({ status: 'IN_PROGRESS', error: null })
    expect(getStepDurationStatsSync(PROJECT, { dbPath: ud.dbPath })).toHaveLength(7)
    expect(fileHash(ud.dbPath)).toBe(before)
  })

  test('a 24 MB log with a 16 MB line and NUL bytes: read in bounded pieces, the step after it found', () => {
    const head = logUntil(LOG_2001, '[assign_worker] start')
    const file = ud.log('TASK_1', '20261024_105205', head)
    const fd = fs.openSync(file, 'a')
    try {
      const chunk = Buffer.alloc(1 << 20, 'x')
      chunk[1000] = 0
      for (let i = 0; i < 16; i++) fs.writeSync(fd, chunk) // one line of 16 MB
      fs.writeSync(fd, '\n')
      fs.writeSync(fd, Buffer.alloc(8 << 20, '\n')) // 8 MB of empty lines
      fs.writeSync(fd, '2026-10-24 10:52:05 [INFO] [execute_task] start: model=opus\n')
    } finally {
      fs.closeSync(fd)
    }
    const started = Date.now()
    const info = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath })
    expect(Date.now() - started).toBeLessThan(20000)
    expect(info).toMatchObject({ currentStep: 'execute_task', source: 'log' })
  })
})
