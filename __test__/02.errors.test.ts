import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  ExecutionStepsError,
  formatExecutionStepDisplay,
  getMultipleTasksExecutionSteps,
  getMultipleTasksExecutionStepsSync,
  getStepDurationStatsSync,
  getTaskExecutionStep,
  getTaskExecutionStepSync,
  recordExecutionStep,
  watchExecutionSteps,
} from '..'
import { holdExclusiveLock, isError, PROJECT, UserData } from './helpers'

const anyFn = getTaskExecutionStepSync as unknown as (...args: unknown[]) => unknown

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    expect(isError(e)).toBe(true)
    return (e as { code?: string }).code
  }
  throw new Error('expected an error')
}

let ud: UserData
beforeEach(() => {
  ud = new UserData()
  ud.task('TASK_1', 'IN_PROGRESS')
})
afterEach(() => ud.remove())

test('a missing database rejects with ERR_DB_NOT_FOUND naming the path, and creates nothing', async () => {
  const missing = path.join(ud.root, 'nowhere', 'aipm.db')
  await expect(getTaskExecutionStep(PROJECT, 'TASK_1', { dbPath: missing })).rejects.toMatchObject({
    code: 'ERR_DB_NOT_FOUND',
    message: expect.stringContaining(missing),
  })
  expect(codeOf(() => getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: missing }))).toBe('ERR_DB_NOT_FOUND')
  expect(fs.existsSync(path.dirname(missing))).toBe(false)
})

test('files that are not AI PM databases get their own codes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-bad-'))
  const file = (name: string, bytes: Buffer | string) => {
    const p = path.join(dir, name)
    fs.writeFileSync(p, bytes)
    return p
  }
  const cases: [string, string][] = [
    [file('empty.db', ''), 'ERR_NOT_AIPM_DB'],
    [file('random.db', crypto.getRandomValues(Buffer.alloc(8192))), 'ERR_DB_CORRUPT'],
    [file('text.db', 'hello, this is not sqlite\n'.repeat(100)), 'ERR_DB_CORRUPT'],
    [dir, 'ERR_DB_NOT_FOUND'],
  ]
  for (const [p, code] of cases) {
    await expect(getTaskExecutionStep(PROJECT, 'TASK_1', { dbPath: p })).rejects.toMatchObject({ code })
  }
  fs.rmSync(dir, { recursive: true })
})

test('wrong argument types are ERR_INVALID_ARG errors, never crashes', async () => {
  const cases: unknown[][] = [
    [],
    [PROJECT],
    [42, 'TASK_1'],
    [PROJECT, null],
    [PROJECT, { id: 'TASK_1' }],
    ['', 'TASK_1'],
    [PROJECT, 'TASK\u00001'],
    [PROJECT, 'TASK_1', 'options'],
    [PROJECT, 'TASK_1', { dbPath: 7 }],
    [PROJECT, 'TASK_1', { dbPath: ud.dbPath, verbose: 'yes' }],
    [PROJECT, 'TASK_1', { dbPath: ud.dbPath, locale: 'fr' }],
    [PROJECT, 'TASK_1', { dbPath: ud.dbPath, busyTimeoutMs: -1 }],
    [PROJECT, 'TASK_1', { dbPath: '' }],
  ]
  for (const args of cases) {
    expect([args, codeOf(() => anyFn(...args))]).toEqual([args, 'ERR_INVALID_ARG'])
  }
  const asyncFn = getTaskExecutionStep as unknown as (...args: unknown[]) => Promise<unknown>
  await expect(asyncFn(1, 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  const batchFn = getMultipleTasksExecutionSteps as unknown as (...args: unknown[]) => Promise<unknown>
  await expect(batchFn(PROJECT, { dbPath: ud.dbPath, taskIds: 'TASK_1' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  expect(codeOf(() => (formatExecutionStepDisplay as unknown as (...a: unknown[]) => string)(null))).toBe('ERR_INVALID_ARG')
  expect(codeOf(() => (recordExecutionStep as unknown as (...a: unknown[]) => void)(PROJECT, 'TASK_1', 3, 'start'))).toBe('ERR_INVALID_ARG')
})

test('a database locked by a writer fails with ERR_DB_BUSY within the timeout, then works again', async () => {
  const lock = await holdExclusiveLock(ud.dbPath)
  const started = Date.now()
  await expect(getTaskExecutionStep(PROJECT, 'TASK_1', { dbPath: ud.dbPath, busyTimeoutMs: 300 })).rejects.toMatchObject({
    code: 'ERR_DB_BUSY',
    message: expect.stringContaining(ud.dbPath),
  })
  const waited = Date.now() - started
  expect(waited).toBeGreaterThanOrEqual(250)
  expect(waited).toBeLessThan(5000)
  await lock.release()
  expect((await getTaskExecutionStep(PROJECT, 'TASK_1', { dbPath: ud.dbPath })).status).toBe('IN_PROGRESS')
})

/** What `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected an error')
}

test('a bad argument is a TypeError or a RangeError of this realm, its message naming the argument and what it must be', async () => {
  const call = (...args: unknown[]) => () => anyFn(...args)
  const batch = (options: unknown) => () => (getMultipleTasksExecutionStepsSync as unknown as (...a: unknown[]) => unknown)(PROJECT, options)
  const stats = (options: unknown) => () => (getStepDurationStatsSync as unknown as (...a: unknown[]) => unknown)(PROJECT, options)
  const cases: [() => unknown, typeof TypeError | typeof RangeError, string][] = [
    [call(1, 'T'), TypeError, 'projectId must be a string, got a number'],
    [call(), TypeError, 'projectId is required (a string)'],
    [call(PROJECT, 'TASK_1', 'x'), TypeError, 'options must be an object, got a string'],
    [call(PROJECT, 'TASK_1', { verbose: 'x' }), TypeError, 'options.verbose must be a boolean, got a string'],
    [call(PROJECT, 'TASK_1', { dbPath: 7 }), TypeError, 'options.dbPath must be a string, got a number'],
    [call(PROJECT, 'TASK_1', { busyTimeoutMs: -5 }), RangeError, 'options.busyTimeoutMs must be between 0 and 600000, got -5'],
    [call(PROJECT, 'TASK_1', { busyTimeoutMs: Infinity }), RangeError, 'options.busyTimeoutMs must be a finite number, got Infinity'],
    [call(PROJECT, 'TASK_1', { locale: 'fr' }), RangeError, `options.locale must be 'ja' or 'en', got "fr"`],
    [call(PROJECT, 'TASK_1', { dbPath: '' }), RangeError, 'options.dbPath must not be empty'],
    [call('', 'TASK_1'), RangeError, 'projectId must not be empty'],
    [batch({ statusFilter: 'IN_PROGRESS' }), TypeError, 'options.statusFilter must be an array of strings, got a string'],
    [batch({ taskIds: ['TASK_1', 2] }), TypeError, 'options.taskIds[1] must be a string, got a number'],
    [stats({ since: 'yesterday' }), RangeError, 'options.since must be an ISO 8601 time or epoch milliseconds, got "yesterday"'],
    [() => (formatExecutionStepDisplay as unknown as (...a: unknown[]) => string)(null), TypeError, 'info must be an ExecutionStepInfo object'],
    [() => (recordExecutionStep as unknown as (...a: unknown[]) => void)(PROJECT, 'TASK_1', 'no_such_step', 'start'), RangeError, 'step must be one of'],
  ]
  for (const [fn, Kind, message] of cases) {
    const e = thrown(fn) as Error & { code?: string }
    expect([message, e instanceof Kind, e.code]).toEqual([message, true, 'ERR_INVALID_ARG'])
    expect(e.message).toContain(message)
    expect(e.message).not.toMatch(/napi|Failed to convert|Failed to get/)
  }
  const rejected = await getTaskExecutionStep(PROJECT, 'TASK_1', { verbose: 1 } as never).catch((e) => e)
  expect(rejected).toBeInstanceOf(TypeError)
  expect(rejected).toMatchObject({ code: 'ERR_INVALID_ARG', message: 'options.verbose must be a boolean, got a number' })
})

test('a failure of the database is an ExecutionStepsError with its code, sync, async and to a watcher', async () => {
  const missing = path.join(ud.root, 'nowhere', 'aipm.db')
  const sync = thrown(() => getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: missing }))
  expect(sync).toBeInstanceOf(ExecutionStepsError)
  expect(sync).toBeInstanceOf(Error)
  expect(sync).toMatchObject({ name: 'ExecutionStepsError', code: 'ERR_DB_NOT_FOUND' })
  const rejected = await getTaskExecutionStep(PROJECT, 'TASK_1', { dbPath: missing }).catch((e) => e)
  expect(rejected).toBeInstanceOf(ExecutionStepsError)
  const gone = path.join(ud.root, 'gone.db')
  fs.copyFileSync(ud.dbPath, gone)
  const heard = await new Promise<Error | null>((resolve) => {
    let first = true
    const watcher = watchExecutionSteps(PROJECT, { dbPath: gone, intervalMs: 20 }, (err) => {
      if (first) {
        first = false
        fs.rmSync(gone)
        return
      }
      watcher.close()
      resolve(err)
    })
  })
  expect(heard).toBeInstanceOf(ExecutionStepsError)
  expect(heard).toMatchObject({ code: 'ERR_DB_NOT_FOUND' })
})
