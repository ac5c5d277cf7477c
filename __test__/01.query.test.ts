import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import {
  EXECUTION_STEPS,
  ExecutionStepInfo,
  formatExecutionStepDisplay,
  getMultipleTasksExecutionSteps,
  getMultipleTasksExecutionStepsSync,
  getStepDurationStats,
  getTaskExecutionStep,
  getTaskExecutionStepSync,
} from '..'
import { LOG_2001, LOG_2002, logUntil, PROJECT, settled, UserData } from './helpers'

let ud: UserData

beforeEach(() => {
  ud = new UserData()
  // TASK_2002 is in the AI step, per its worker log (Japan time) and UTC history.
  ud.task('TASK_2002', 'IN_PROGRESS', 'Worker B', { updated: '2026-10-24T10:51:49' })
  ud.start('TASK_2002', 'Worker B', '2026-10-24 01:51:49')
  ud.log('TASK_2002', '20261024_105149', logUntil(LOG_2002, '[claude_cli] Executing'))
  // TASK_2001 only has history: assigned, so acquiring file locks.
  ud.task('TASK_2001', 'IN_PROGRESS', 'Worker C', { updated: '2026-10-24T10:52:05' })
  ud.start('TASK_2001', 'Worker C', '2026-10-24 01:52:05')
  ud.task('TASK_2003', 'QUEUED', null, { updated: '2026-10-24T11:00:00' })
})
afterEach(() => ud.remove())

test('EXECUTION_STEPS lists the seven steps with exact display names', () => {
  expect(EXECUTION_STEPS.map((s) => s.step)).toEqual([
    'get_task_info',
    'assign_worker',
    'file_lock',
    'execute_task',
    'create_report',
    'update_status_done',
    'auto_review',
  ])
  expect(EXECUTION_STEPS[3]).toEqual({ index: 3, step: 'execute_task', display: 'AI実行', displayEn: 'Run AI', progressPercent: 57 })
  expect(EXECUTION_STEPS.map((s) => s.progressPercent)).toEqual([14, 28, 42, 57, 71, 85, 100])
})

test('a running task in the AI step, from its worker log, in Japan time', async () => {
  const info = await getTaskExecutionStep(PROJECT, 'TASK_2002', { dbPath: ud.dbPath })
  expect(info).toMatchObject({
    projectId: PROJECT,
    taskId: 'TASK_2002',
    orderId: 'ORDER_119',
    currentStep: 'execute_task',
    currentStepDisplay: 'AI実行',
    stepIndex: 3,
    totalSteps: 7,
    progressPercent: 57,
    status: 'IN_PROGRESS',
    assignee: 'Worker B',
    startedAt: '2026-10-24T10:51:49+09:00',
    source: 'log',
    error: null,
    failedStep: null,
    completedSteps: null,
    steps: null,
  })
  expect(formatExecutionStepDisplay(info)).toBe('[4/7] AI実行中 (57%)')
  expect(formatExecutionStepDisplay(info, 'en')).toBe('[4/7] Run AI (57%)')
})

test('the sync twin gives the same answer', async () => {
  const asyncInfo = await getTaskExecutionStep(PROJECT, 'TASK_2001', { dbPath: ud.dbPath, verbose: true })
  const syncInfo = getTaskExecutionStepSync(PROJECT, 'TASK_2001', { dbPath: ud.dbPath, verbose: true })
  expect(settled(syncInfo)).toEqual(settled(asyncInfo))
  expect(syncInfo).toMatchObject({ currentStep: 'file_lock', progressPercent: 42, source: 'history' })
  expect(formatExecutionStepDisplay(syncInfo)).toBe('[3/7] ファイルロック取得中 (42%)')
})

test('verbose results carry completedSteps and the seven-step timeline the app reads', () => {
  const info = getTaskExecutionStepSync(PROJECT, 'TASK_2002', { dbPath: ud.dbPath, verbose: true })
  expect(info.completedSteps).toEqual([
    { step: 'get_task_info', display: 'タスク情報取得' },
    { step: 'assign_worker', display: 'Worker割当' },
    { step: 'file_lock', display: 'ファイルロック取得' },
  ])
  const steps = info.steps!
  expect(steps.map((s) => [s.step, s.status])).toEqual([
    ['get_task_info', 'completed'],
    ['assign_worker', 'completed'],
    ['file_lock', 'skipped'],
    ['execute_task', 'in_progress'],
    ['create_report', 'pending'],
    ['update_status_done', 'pending'],
    ['auto_review', 'pending'],
  ])
  expect(steps[3].startedAt).toBe('2026-10-24T10:51:49+09:00')
  expect(steps[3].endedAt).toBeNull()
  expect(steps[3].durationMs).toBeGreaterThan(0)
})

test('English locale', () => {
  const info = getTaskExecutionStepSync(PROJECT, 'TASK_2003', { dbPath: ud.dbPath, locale: 'en' })
  expect(info.currentStepDisplay).toBe('Not running')
  expect(formatExecutionStepDisplay(info, 'en')).toBe('[QUEUED] Not running')
  expect(formatExecutionStepDisplay(info)).toBe('[QUEUED] 実行中でない')
})

test('a task that does not exist resolves to the seed shape', async () => {
  const info = await getTaskExecutionStep(PROJECT, 'TASK_999999', { dbPath: ud.dbPath })
  expect(info).toMatchObject({ error: 'タスクが見つかりません: TASK_999999', currentStep: null, stepIndex: -1 })
  expect(formatExecutionStepDisplay(info)).toBe('エラー: タスクが見つかりません: TASK_999999')
  const en = getTaskExecutionStepSync(PROJECT, 'TASK_999999', { dbPath: ud.dbPath, locale: 'en' })
  expect(en.error).toBe('Task not found: TASK_999999')
})

test('a failed run reports its step, the message and where to resume', () => {
  ud.task('TASK_2004', 'IN_PROGRESS', 'Worker B')
  ud.start('TASK_2004', 'Worker B', '2026-10-24 01:51:49')
  ud.log('TASK_2004', '20261024_105149', LOG_2002.replace(/TASK_2002/g, 'TASK_2004').replace(/\n/g, '\r\n'))
  const info = getTaskExecutionStepSync(PROJECT, 'TASK_2004', { dbPath: ud.dbPath })
  expect(info).toMatchObject({ currentStep: 'create_report', failedStep: 'create_report', resumeFrom: 'create_report' })
  expect(info.error).toMatch(/^REPORT作成不可: execution_resultが空または短すぎます \(14文字\)/)
  expect(info.error).not.toMatch(/\r/)
})

test('batch: running tasks keyed by id, most recently updated first, same as single calls', async () => {
  const batch = await getMultipleTasksExecutionSteps(PROJECT, { dbPath: ud.dbPath, verbose: true })
  expect(Object.keys(batch)).toEqual(['TASK_2001', 'TASK_2002'])
  for (const [id, info] of Object.entries(batch)) {
    expect(settled(info)).toEqual(settled(getTaskExecutionStepSync(PROJECT, id, { dbPath: ud.dbPath, verbose: true })))
  }
  const chosen = getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, taskIds: ['TASK_2003', 'TASK_2002'] })
  expect(Object.keys(chosen)).toEqual(['TASK_2003', 'TASK_2002'])
  const queued = getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, statusFilter: ['QUEUED'], orderId: 'ORDER_119' })
  expect(Object.keys(queued)).toEqual(['TASK_2003'])
  expect(getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, orderId: 'ORDER_000' })).toEqual({})
})

test('many calls in flight at once all resolve, off the JS thread', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 0)
  const calls: Promise<ExecutionStepInfo>[] = []
  for (let i = 0; i < 200; i++) calls.push(getTaskExecutionStep(PROJECT, i % 2 ? 'TASK_2001' : 'TASK_2002', { dbPath: ud.dbPath }))
  const results = await Promise.all(calls)
  clearInterval(timer)
  expect(new Set(results.map((r) => r.currentStep))).toEqual(new Set(['file_lock', 'execute_task']))
  expect(ticks).toBeGreaterThan(0)
})

test('reading never changes the database', async () => {
  const hash = () => crypto.createHash('sha256').update(fs.readFileSync(ud.dbPath)).digest('hex')
  const before = hash()
  await getTaskExecutionStep(PROJECT, 'TASK_2002', { dbPath: ud.dbPath, verbose: true })
  await getMultipleTasksExecutionSteps(PROJECT, { dbPath: ud.dbPath })
  await getStepDurationStats(PROJECT, { dbPath: ud.dbPath })
  expect(hash()).toBe(before)
  expect(fs.readdirSync(`${ud.root}/data`)).toEqual(['aipm.db'])
})

test('a database replaced on disk is noticed', () => {
  expect(getTaskExecutionStepSync(PROJECT, 'TASK_2003', { dbPath: ud.dbPath }).status).toBe('QUEUED')
  const other = new UserData()
  other.task('TASK_2003', 'BLOCKED')
  fs.renameSync(other.dbPath, ud.dbPath)
  expect(getTaskExecutionStepSync(PROJECT, 'TASK_2003', { dbPath: ud.dbPath }).status).toBe('BLOCKED')
  other.remove()
})

test('step duration statistics over worker logs', async () => {
  ud.task('TASK_2005', 'DONE', 'Worker C')
  ud.log('TASK_2005', '20261024_105205', LOG_2001)
  const stats = await getStepDurationStats(PROJECT, { dbPath: ud.dbPath })
  expect(stats.map((s) => s.step)).toEqual(EXECUTION_STEPS.map((s) => s.step))
  const ai = stats.find((s) => s.step === 'execute_task')!
  expect(ai).toMatchObject({ count: 1, meanMs: 4000, p50Ms: 4000, p95Ms: 4000, maxMs: 4000, display: 'AI実行' })
  expect(ai.slowest).toEqual([{ taskId: 'TASK_2005', durationMs: 4000 }])
})
