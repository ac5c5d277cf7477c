import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { formatExecutionStepDisplay, getMultipleTasksExecutionSteps, getTaskExecutionStep, getTaskExecutionStepSync, recordExecutionStep } from '..'
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
