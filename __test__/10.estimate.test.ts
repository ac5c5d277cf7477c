// The remaining-time estimate and the ORDER's progress through the JavaScript
// surface, on the bundled sample: ORDER_118's thirty runs and reviews are the
// history, ORDER_119's running tasks are estimated from them.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as vm from 'node:vm'
import {
  createSampleDatabase,
  ExecutionStepInfo,
  formatExecutionStepJson,
  formatRemaining,
  getEstimateCalibration,
  getEstimateCalibrationSync,
  getMultipleTasksExecutionSteps,
  getOrderProgress,
  getOrderProgressSync,
  OrderProgress,
  watchExecutionSteps,
} from '..'
import { syncCode } from './helpers'

const PROJECT = 'ai_pm_manager'
let dir: string
let dbPath: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-estimate-'))
  dbPath = createSampleDatabase(dir)
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** A result whose run is expected to end at `end`, overdue or not. */
function withEta(end: string | null, overdue = false): ExecutionStepInfo {
  const eta = end && { expectedEndAt: end, lowAt: end, highAt: end, basisRuns: 30, overdue }
  return { eta } as ExecutionStepInfo
}

describe('formatRemaining', () => {
  const now = new Date('2026-12-06T03:00:00Z')
  const after = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString()
  test.each([
    [after(170), false, '残り約3分', 'about 3 min left'],
    [after(59), false, '残り1分未満', 'less than a minute left'],
    [after(3 * 3600 + 20 * 60), false, '残り約3時間20分', 'about 3 h 20 min left'],
    [after(2 * 3600), false, '残り約2時間', 'about 2 h left'],
    [after(-10), false, '予定超過', 'overdue'],
    [after(600), true, '予定超過', 'overdue'],
    [null, false, '', ''],
  ])('ends at %s (overdue: %s): %s / %s', (end, overdue, ja, en) => {
    const info = withEta(end, overdue)
    expect(formatRemaining(info, 'ja', now)).toBe(ja)
    expect(formatRemaining(info, undefined, now)).toBe(ja)
    expect(formatRemaining(info, 'en', now)).toBe(en)
    expect(formatRemaining(info, 'en', now.getTime())).toBe(en)
  })

  test('a Date of another realm (a vm context, an iframe) is a Date', () => {
    const foreign = vm.runInNewContext('new Date("2026-12-06T03:00:00Z")')
    expect(foreign instanceof Date).toBe(false)
    expect(formatRemaining(withEta(after(170)), 'en', foreign)).toBe('about 3 min left')
  })

  test('without now it is measured from the present', () => {
    const soon = new Date(Date.now() + 10 * 60_000).toISOString()
    expect(formatRemaining(withEta(soon), 'en')).toMatch(/^about (9|10) min left$/)
  })

  test('bad arguments are TypeErrors or RangeErrors naming the argument', () => {
    const info = withEta(after(60))
    expect(() => formatRemaining(null as never)).toThrow(TypeError)
    expect(syncCode(() => formatRemaining(null as never))).toBe('ERR_INVALID_ARG')
    expect(() => formatRemaining(info, 'fr' as never)).toThrow(/locale must be 'ja' or 'en'/)
    expect(() => formatRemaining(info, 'ja', 'tomorrow' as never)).toThrow(TypeError)
    expect(() => formatRemaining(info, 'ja', 'tomorrow' as never)).toThrow(/now must be a Date or epoch milliseconds, got a string/)
    expect(() => formatRemaining(info, 'ja', new Date('not a date'))).toThrow(RangeError)
    expect(() => formatRemaining(info, 'ja', new Date('not a date'))).toThrow(/now is not a valid time/)
  })
})

describe('eta on results', () => {
  test('every running task of the sample has one, in order, as RFC 3339 instants; others have none', async () => {
    const infos = await getMultipleTasksExecutionSteps(PROJECT, { dbPath, orderId: 'ORDER_119', statusFilter: [] })
    const running = Object.values(infos).filter((i) => i.currentStep !== null)
    expect(running).toHaveLength(7)
    for (const info of running) {
      const eta = info.eta!
      expect(eta).toEqual({
        expectedEndAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/),
        lowAt: expect.any(String),
        highAt: expect.any(String),
        basisRuns: expect.any(Number),
        overdue: expect.any(Boolean),
      })
      const [low, expected, high] = [eta.lowAt, eta.expectedEndAt, eta.highAt].map(Date.parse)
      expect(low <= expected && expected <= high).toBe(true)
      expect(eta.overdue).toBe(Date.now() > high)
      expect(formatRemaining(info)).not.toBe('')
      // The CLI's snake_case JSON reads the same.
      const now = Date.now()
      expect(formatRemaining(JSON.parse(formatExecutionStepJson(info)), 'en', now)).toBe(formatRemaining(info, 'en', now))
    }
    // The review going on TASK_1038 is estimated from ORDER_118's reviews, the rework of TASK_1035 from its reworks.
    expect(infos.TASK_1038.eta!.basisRuns).toBeGreaterThanOrEqual(30)
    expect(infos.TASK_1035.eta!.basisRuns).toBe(12 + 1)
    for (const id of ['TASK_1036', 'TASK_1037', 'TASK_1039', 'TASK_1040', 'TASK_1042']) {
      expect([id, infos[id].eta]).toEqual([id, null])
      expect(formatRemaining(infos[id])).toBe('')
    }
  })
})

describe('getOrderProgress', () => {
  test('counts the tasks by state, weighs their steps, and ends with the latest running estimate', async () => {
    const order = await getOrderProgress(PROJECT, 'ORDER_119', { dbPath })
    expect(order).toEqual<OrderProgress>({
      projectId: PROJECT,
      orderId: 'ORDER_119',
      total: 14,
      running: 7,
      waiting: 3,
      finished: 2,
      stopped: 2,
      inactive: 0,
      failed: 1,
      percent: 56,
      expectedEndAt: expect.any(String),
    })
    const infos = await getMultipleTasksExecutionSteps(PROJECT, { dbPath, orderId: 'ORDER_119', statusFilter: [] })
    const ends = Object.values(infos).flatMap((i) => (i.eta ? [Date.parse(i.eta.expectedEndAt)] : []))
    expect(Date.parse(order.expectedEndAt!)).toBe(Math.max(...ends))
    expect(getOrderProgressSync(PROJECT, 'ORDER_119', { dbPath })).toEqual(order)
  })

  test('a finished ORDER is 100 % with no end to wait for; an unknown one is empty', () => {
    expect(getOrderProgressSync(PROJECT, 'ORDER_118', { dbPath })).toMatchObject({ total: 30, finished: 30, percent: 100, expectedEndAt: null })
    expect(getOrderProgressSync(PROJECT, 'ORDER_999', { dbPath })).toMatchObject({ total: 0, percent: 100, expectedEndAt: null })
  })

  test('bad arguments', async () => {
    expect(() => getOrderProgressSync(PROJECT, 42 as never, { dbPath })).toThrow(/orderId must be a string, got a number/)
    await expect(getOrderProgress(PROJECT, '', { dbPath })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(getOrderProgress(PROJECT, 'ORDER_119', { dbPath: path.join(dir, 'missing.db') })).rejects.toMatchObject({
      name: 'ExecutionStepsError',
      code: 'ERR_DB_NOT_FOUND',
    })
  })
})

test('a watcher given orderId passes the ORDER progress with its reports', async () => {
  const reports: [number, OrderProgress | undefined][] = []
  const seen = new Promise<void>((resolve) => {
    const w = watchExecutionSteps(PROJECT, { dbPath, orderId: 'ORDER_119', intervalMs: 50 }, (err, changes, order) => {
      expect(err).toBeNull()
      reports.push([changes.length, order])
      w.close()
      resolve()
    })
  })
  await seen
  expect(reports[0][0]).toBe(5) // the IN_PROGRESS tasks of ORDER_119
  expect(reports[0][1]).toEqual(getOrderProgressSync(PROJECT, 'ORDER_119', { dbPath }))

  const plain = await new Promise<unknown[]>((resolve) => {
    const w = watchExecutionSteps(PROJECT, { dbPath, intervalMs: 50 }, (...args) => {
      w.close()
      resolve(args)
    })
  })
  expect(plain[2]).toBeUndefined()
})

test('getEstimateCalibration: how the estimate did on the sample, kind by kind', async () => {
  const kinds = await getEstimateCalibration(PROJECT, { dbPath })
  expect(kinds.map((k) => k.kind)).toEqual(['first', 'rework', 'review'])
  for (const k of kinds) {
    expect(k.runs).toBeGreaterThanOrEqual(10)
    expect(k.estimates).toBeGreaterThanOrEqual(k.runs)
    expect(k.medianAbsErrorMs).toBeGreaterThan(0)
    expect(k.naiveMedianAbsErrorMs).toBeGreaterThan(0)
    expect(k.coverage).toBeGreaterThan(0.7)
    expect(k.coverage).toBeLessThanOrEqual(1)
  }
  expect(getEstimateCalibrationSync(PROJECT, { dbPath })).toEqual(kinds)
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-estimate-empty-'))
  try {
    // The same database without its logs: nothing to calibrate on.
    expect(getEstimateCalibrationSync(PROJECT, { dbPath, userDataDir: empty })).toEqual([])
  } finally {
    fs.rmSync(empty, { recursive: true, force: true })
  }
})
