// The paths users really take, through the JS API: two projects with the same
// task id, and a run the app's own "run task" button starts, its output kept
// with workerLogPath() the way the README's recipe does. Single, batch and a
// watcher's first report agree.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  ExecutionStepChange,
  ExecutionStepInfo,
  getMultipleTasksExecutionStepsSync,
  getTaskExecutionStep,
  getTaskExecutionStepSync,
  watchExecutionSteps,
  workerLogPath,
} from '..'
import { isError, ORDER, PROJECT, UserData } from './helpers'

const OTHER = 'other_project'

/** What a user sees, without times that move while a step runs. */
const view = (i: ExecutionStepInfo) => ({
  status: i.status,
  currentStep: i.currentStep,
  progressPercent: i.progressPercent,
  source: i.source,
  startedAt: i.startedAt,
})

/** The first report of a watcher on `taskIds` of `project`. */
function firstReport(dbPath: string, project: string, taskIds: string[]): Promise<ExecutionStepChange[]> {
  return new Promise((resolve, reject) => {
    const watcher = watchExecutionSteps(project, { dbPath, taskIds, intervalMs: 20 }, (err, changes) => {
      watcher.close()
      if (err) reject(err)
      else resolve(changes)
    })
  })
}

/** Single, batch and a watcher's first report, checked to agree. */
async function allAgree(dbPath: string, project: string, taskId: string) {
  const single = getTaskExecutionStepSync(project, taskId, { dbPath })
  const asyncOne = await getTaskExecutionStep(project, taskId, { dbPath })
  const batch = getMultipleTasksExecutionStepsSync(project, { dbPath, taskIds: [taskId] })[taskId]
  const [watched] = await firstReport(dbPath, project, [taskId])
  expect(view(asyncOne)).toEqual(view(single))
  expect(view(batch)).toEqual(view(single))
  expect(view(watched.current)).toEqual(view(single))
  return view(single)
}

let ud: UserData
beforeEach(() => {
  ud = new UserData()
})
afterEach(() => ud.remove())

/** The daemon's launch rows (`Worker (ParallelWorker)`, project NULL); with `assignedAtUtc`, the
 * worker's own row, written after its file_lock step. */
function daemonLaunch(task: string, atUtc: string, assignedAtUtc?: string) {
  ud.history(task, 'assignee', null, 'ParallelWorker', atUtc, null, 'Worker (ParallelWorker)')
  ud.history(task, 'status', 'QUEUED', 'IN_PROGRESS', atUtc, null, 'Worker (ParallelWorker)')
  if (assignedAtUtc) ud.history(task, 'assignee', 'ParallelWorker', 'Worker A', assignedAtUtc, null, 'Worker (Worker A)')
}

const line = (time: string, text: string) => `${time} [INFO] ${text}\r\n`

test('two projects with TASK_001: each keeps its own log and its own start', async () => {
  // Ours launched at 10:00:00 (Japan), theirs a minute later; both are `Worker A` in their project.
  ud.task('TASK_001', 'IN_PROGRESS', 'Worker A')
  ud.task('TASK_001', 'IN_PROGRESS', 'Worker A', { project: OTHER, order: 'ORDER_9' })
  ud.write((db) => {
    db.prepare(`UPDATE tasks SET started_at = ? WHERE project_id = ?`).run('2026-10-24T10:00:00.412345', PROJECT)
    db.prepare(`UPDATE tasks SET started_at = ? WHERE project_id = ?`).run('2026-10-24T10:01:00.101010', OTHER)
  })
  daemonLaunch('TASK_001', '2026-10-24 01:00:00', '2026-10-24 01:00:02')
  daemonLaunch('TASK_001', '2026-10-24 01:01:00')
  ud.log(
    'TASK_001',
    '20261024_100000',
    [
      line('2026-10-24 10:00:01', '[get_task_info] start: TASK_001'),
      line('2026-10-24 10:00:02', '[assign_worker] start: mode=通常'),
      line('2026-10-24 10:00:02', '[file_lock] skip: 対象ファイル未指定'),
      line('2026-10-24 10:00:03', '[execute_task] start: model=opus'),
      line('2026-10-24 10:00:50', '[execute_task] success: '),
      line('2026-10-24 10:00:50', '[create_report] start: '),
    ].join(''),
  )
  ud.log('TASK_001', '20261024_100100', line('2026-10-24 10:01:01', '[get_task_info] start: TASK_001'), 'ORDER_9', OTHER)
  expect(await allAgree(ud.dbPath, PROJECT, 'TASK_001')).toEqual({
    status: 'IN_PROGRESS',
    currentStep: 'create_report',
    progressPercent: 71,
    source: 'log',
    startedAt: '2026-10-24T10:00:00+09:00',
  })
  expect(await allAgree(ud.dbPath, OTHER, 'TASK_001')).toEqual({
    status: 'IN_PROGRESS',
    currentStep: 'get_task_info',
    progressPercent: 14,
    source: 'log',
    startedAt: '2026-10-24T10:01:00+09:00',
  })
})

test('workerLogPath names a log as the daemon would, and refuses ids that are not one path component', () => {
  const file = workerLogPath(PROJECT, ORDER, 'TASK_7', { dbPath: ud.dbPath })
  expect(path.dirname(file)).toBe(path.join(ud.root, 'PROJECTS', PROJECT, 'RESULT', ORDER, 'LOGS'))
  expect(path.basename(file)).toMatch(/^worker_TASK_7_\d{8}_\d{6}\.log$/)
  expect(fs.existsSync(path.dirname(file))).toBe(false) // creates nothing
  for (const bad of ['../x', 'a/b', '', 'a\\b']) {
    let thrown: unknown
    try {
      workerLogPath(PROJECT, ORDER, bad, { dbPath: ud.dbPath })
    } catch (e) {
      thrown = e
    }
    expect(isError(thrown) && thrown.code).toBe('ERR_INVALID_ARG')
  }
})

/** A stand-in for `execute_task.py … --json --verbose --loop --is-rework`: the banner on stdout, step lines
 * on stderr (Python's logging), the JSON on stdout, then the next task's run; `pause` ms between lines. */
const WORKER = `
const pad = (n) => String(n).padStart(2, '0')
const now = () => { const d = new Date(); return \`\${d.getFullYear()}-\${pad(d.getMonth() + 1)}-\${pad(d.getDate())} \${pad(d.getHours())}:\${pad(d.getMinutes())}:\${pad(d.getSeconds())}\` }
const [tasks, pause] = [process.argv[1].split(","), Number(process.argv[2])]
const run = (task) => [
  '[get_task_info] start: ' + task, '[assign_worker] start: mode=リワーク', '[file_lock] skip: 対象ファイル未指定',
  '[assign_worker] success: worker=Worker A', '[execute_task] start: model=opus', '[execute_task] success: ',
  '[create_report] start: ', '[create_report] success: REPORT.md', '[update_status_done] start: ',
  '[update_status_done] success: status=DONE', '[auto_review] skipped: レビューはreview_workerで実行されます',
  '[complete] success: Worker処理完了']
const lines = [['out', '[WARNING] 本番DB使用中 (execute_task.py)']]
tasks.forEach((t, i) => {
  if (i > 0) lines.push(['err', '[next_task] found: next=' + t], ['out', '【次タスク起動】' + t])
  for (const l of run(t)) lines.push(['err', l])
  lines.push(['out', JSON.stringify({ success: true, task_id: t }, null, 2)])
})
let i = 0
const tick = () => {
  if (i === lines.length) return
  const [to, text] = lines[i++]
  if (to === 'out') process.stdout.write(text + '\\n')
  else process.stderr.write(now() + ' [INFO] ' + text + '\\n')
  setTimeout(tick, pause)
}
process.stdin.once('data', tick)
`

test("a run the app's button starts, its output kept at workerLogPath, is read like the daemon's, --loop included", async () => {
  // TASK_1 was rejected a minute ago and waits in REWORK; TASK_2 is the next task of the order.
  const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString().slice(0, 19).replace('T', ' ')
  ud.task('TASK_1', 'REWORK', 'Worker A')
  ud.task('TASK_2', 'QUEUED', null)
  ud.history('TASK_1', 'status', 'DONE', 'REWORK', ago(60), null, 'PM (Worker A)')
  expect(getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath })).toMatchObject({ currentStep: null, stepIndex: -1 })

  // The README's recipe: tee the child's stdout and stderr into workerLogPath().
  const child = spawn(process.execPath, ['-e', WORKER, 'TASK_1,TASK_2', '120'], { stdio: ['pipe', 'pipe', 'pipe'] })
  const logPath = workerLogPath(PROJECT, ORDER, 'TASK_1', { dbPath: ud.dbPath })
  fs.mkdirSync(path.dirname(logPath), { recursive: true })
  const log = fs.createWriteStream(logPath, { fd: fs.openSync(logPath, 'a') })
  child.stdout!.pipe(log, { end: false })
  child.stderr!.pipe(log, { end: false })
  const closed = new Promise<void>((resolve) => child.on('close', () => log.end(resolve)))
  child.stdin!.end('go\n')

  const seen: (string | null)[] = []
  let nextStarted = false
  while (child.exitCode === null) {
    const info = getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath })
    if (seen[seen.length - 1] !== info.currentStep) seen.push(info.currentStep)
    if (!nextStarted && fs.readFileSync(logPath, 'utf8').includes('[get_task_info] start: TASK_2')) {
      // TASK_2's worker moves it to IN_PROGRESS itself (a loop run is a worker started by hand).
      ud.start('TASK_2', 'Worker A', ago(0))
      ud.write((db) => db.prepare(`UPDATE tasks SET status = 'IN_PROGRESS' WHERE id = 'TASK_2'`).run())
      nextStarted = true
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  await closed
  const running = seen.filter((s) => s !== null)
  expect(running[0]).toBe('get_task_info')
  expect(running).toContain('execute_task')
  expect(running).toEqual([...running].sort((a, b) => order(a) - order(b)))
  // TASK_1's run ended (the rework run finished; its DONE row is the worker's to write): not running.
  expect(getTaskExecutionStepSync(PROJECT, 'TASK_1', { dbPath: ud.dbPath, verbose: true })).toMatchObject({
    currentStep: null,
    source: 'log',
  })
  // TASK_2's run, read from TASK_1's kept output.
  expect(await allAgree(ud.dbPath, PROJECT, 'TASK_2')).toMatchObject({
    status: 'IN_PROGRESS',
    currentStep: 'update_status_done',
    source: 'log',
  })
})

const STEPS = ['get_task_info', 'assign_worker', 'file_lock', 'execute_task', 'create_report', 'update_status_done', 'auto_review']
const order = (step: string | null) => STEPS.indexOf(step ?? '')
