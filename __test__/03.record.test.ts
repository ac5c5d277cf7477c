import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { getTaskExecutionStepSync, recordExecutionStep } from '..'
import { isError, LOG_2002, logUntil, PROJECT, UserData } from './helpers'

let ud: UserData
beforeEach(() => {
  ud = new UserData()
  ud.task('TASK_2002', 'IN_PROGRESS', 'Worker B')
  ud.task('TASK_2002', 'IN_PROGRESS', 'Worker Z', { project: 'other_project' })
  ud.start('TASK_2002', 'Worker B', '2026-10-24 01:51:49')
  ud.log('TASK_2002', '20261024_105149', logUntil(LOG_2002, '[claude_cli] Executing'))
})
afterEach(() => ud.remove())

const countEvents = () => ud.write((db) => (db.prepare('SELECT COUNT(*) AS n FROM task_step_events').get() as { n: number }).n)

test('recorded steps win over the worker log and leave the other project alone', () => {
  expect(getTaskExecutionStepSync(PROJECT, 'TASK_2002', { dbPath: ud.dbPath }).source).toBe('log')
  recordExecutionStep(PROJECT, 'TASK_2002', 'get_task_info', 'start', { dbPath: ud.dbPath })
  recordExecutionStep(PROJECT, 'TASK_2002', 'static_analysis', 'start', { dbPath: ud.dbPath, detail: '成果物チェック' })
  const info = getTaskExecutionStepSync(PROJECT, 'TASK_2002', { dbPath: ud.dbPath, verbose: true })
  expect(info).toMatchObject({ currentStep: 'create_report', source: 'recorded', progressPercent: 71 })
  expect(getTaskExecutionStepSync('other_project', 'TASK_2002', { dbPath: ud.dbPath }).source).not.toBe('recorded')
  const row = ud.write((db) => db.prepare('SELECT * FROM task_step_events ORDER BY id DESC LIMIT 1').get()) as Record<string, unknown>
  expect(row).toMatchObject({ project_id: PROJECT, task_id: 'TASK_2002', step: 'static_analysis', event: 'start', detail: '成果物チェック' })
  expect(row.recorded_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
})

test('a recorded failure names the step and the message', () => {
  recordExecutionStep(PROJECT, 'TASK_2002', 'get_task_info', 'start', { dbPath: ud.dbPath })
  recordExecutionStep(PROJECT, 'TASK_2002', 'execute_task', 'failed', { dbPath: ud.dbPath, detail: 'claude -p timed out' })
  const info = getTaskExecutionStepSync(PROJECT, 'TASK_2002', { dbPath: ud.dbPath })
  expect(info).toMatchObject({ currentStep: 'execute_task', failedStep: 'execute_task', error: 'claude -p timed out', resumeFrom: 'execute_task' })
})

test('invalid steps, events and tasks are refused and nothing is written', () => {
  const cases: [string, string, string, string][] = [
    [PROJECT, 'TASK_2002', 'warp_drive', 'start'],
    [PROJECT, 'TASK_2002', 'execute_task', 'exploded'],
    [PROJECT, 'NO_SUCH_TASK', 'execute_task', 'start'],
    ['no_such_project', 'TASK_2002', 'execute_task', 'start'],
  ]
  const codes = cases.map(([p, t, s, e]) => {
    try {
      recordExecutionStep(p, t, s, e as 'start', { dbPath: ud.dbPath })
    } catch (err) {
      expect(isError(err)).toBe(true)
      return (err as { code: string }).code
    }
    return 'no error'
  })
  expect(codes).toEqual(['ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_TASK_NOT_FOUND', 'ERR_TASK_NOT_FOUND'])
  const tables = ud.write((db) => db.prepare("SELECT name FROM sqlite_master WHERE name = 'task_step_events'").all())
  expect(tables).toEqual([])
})

test('several worker processes recording at once all land', async () => {
  recordExecutionStep(PROJECT, 'TASK_2002', 'get_task_info', 'start', { dbPath: ud.dbPath })
  const script = `
    const { recordExecutionStep } = require(${JSON.stringify(path.join(__dirname, '..'))})
    for (let i = 0; i < 50; i++) {
      recordExecutionStep('${PROJECT}', 'TASK_2002', 'execute_task', 'info', { dbPath: process.argv[1], detail: 'p' + process.pid + ' #' + i, busyTimeoutMs: 30000 })
    }`
  const run = () =>
    new Promise<number>((resolve) => spawn(process.execPath, ['-e', script, ud.dbPath], { stdio: 'inherit' }).on('exit', (code) => resolve(code ?? -1)))
  const codes = await Promise.all([run(), run(), run(), run()])
  expect(codes).toEqual([0, 0, 0, 0])
  expect(countEvents()).toBe(1 + 4 * 50)
})
