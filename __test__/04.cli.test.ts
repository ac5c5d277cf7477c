import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { createSampleDatabase } from '..'
import { LOG_2001, LOG_2002, logUntil, PROJECT, UserData } from './helpers'

const CLI = path.join(__dirname, '..', 'bin', 'aipm-steps.js')

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

let ud: UserData
beforeAll(() => {
  ud = new UserData()
  ud.task('TASK_2002', 'IN_PROGRESS', 'Worker B')
  ud.start('TASK_2002', 'Worker B', '2026-10-24 01:51:49')
  ud.log('TASK_2002', '20261024_105149', logUntil(LOG_2002, '[claude_cli] Executing'))
  ud.task('TASK_2001', 'DONE', 'Worker C')
  ud.log('TASK_2001', '20261024_105205', LOG_2001)
})
afterAll(() => ud.remove())

test('<project> <task> prints the seed-shaped JSON in snake_case and exits 0', () => {
  const r = cli([PROJECT, 'TASK_2002', '--db', ud.dbPath, '--json'])
  expect(r.code).toBe(0)
  const json = JSON.parse(r.stdout)
  expect(json).toMatchObject({
    current_step: 'execute_task',
    current_step_display: 'AI実行',
    step_index: 3,
    total_steps: 7,
    progress_percent: 57,
    status: 'IN_PROGRESS',
    assignee: 'Worker B',
    started_at: '2026-10-24T10:51:49+09:00',
    source: 'log',
  })
  expect(json.completed_steps).toHaveLength(3)
  expect(json.steps[3]).toMatchObject({ step: 'execute_task', status: 'in_progress', started_at: '2026-10-24T10:51:49+09:00' })
})

test('a missing task still prints JSON and exits 1', () => {
  const r = cli([PROJECT, 'TASK_999999', '--db', ud.dbPath])
  expect(r.code).toBe(1)
  expect(JSON.parse(r.stdout)).toMatchObject({ error: 'タスクが見つかりません: TASK_999999', current_step: null, step_index: -1 })
})

test('usage errors exit 2 and database errors exit 3 with the message on stderr', () => {
  expect(cli([]).code).toBe(2)
  expect(cli([PROJECT]).code).toBe(2)
  expect(cli([PROJECT, 'T', '--bogus']).code).toBe(2)
  expect(cli([PROJECT, 'T', '--locale', 'fr']).code).toBe(2)
  const missing = path.join(ud.root, 'missing.db')
  const r = cli([PROJECT, 'TASK_2002', '--db', missing])
  expect(r.code).toBe(3)
  expect(r.stderr).toContain('ERR_DB_NOT_FOUND')
  expect(r.stderr).toContain(missing)
  expect(r.stdout).toBe('')
})

test('the database is found through AIPM_DB_PATH and AI_PM_USERDATA', () => {
  expect(JSON.parse(cli([PROJECT, 'TASK_2002'], { AIPM_DB_PATH: ud.dbPath }).stdout).source).toBe('log')
  expect(JSON.parse(cli([PROJECT, 'TASK_2002'], { AIPM_DB_PATH: '', AI_PM_USERDATA: ud.root }).stdout).source).toBe('log')
})

test('list prints one line per running task, and JSON keyed by task id', () => {
  const r = cli(['list', PROJECT, '--db', ud.dbPath])
  expect(r.code).toBe(0)
  expect(r.stdout).toMatch(/TASK_2002 +\[4\/7\] AI実行中 \(57%\)/)
  const json = JSON.parse(cli(['list', PROJECT, '--db', ud.dbPath, '--status', 'IN_PROGRESS,DONE', '--json']).stdout)
  expect(Object.keys(json).sort()).toEqual(['TASK_2001', 'TASK_2002'])
  expect(json.TASK_2001).toMatchObject({ progress_percent: 100, current_step: null })
  expect(cli(['list', PROJECT, '--db', ud.dbPath, '--order', 'ORDER_000']).stdout).toBe('(no tasks)\n')
})

test('stats prints a table with a bar per step', () => {
  const r = cli(['stats', PROJECT, '--db', ud.dbPath])
  expect(r.code).toBe(0)
  expect(r.stdout).toMatch(/execute_task +\d+ +4\.0s/)
  expect(r.stdout).toContain('█')
  const json = JSON.parse(cli(['stats', PROJECT, '--db', ud.dbPath, '--json']).stdout)
  expect(json).toHaveLength(7)
  expect(json[3]).toMatchObject({ step: 'execute_task', count: 1, max_ms: 4000 }) // TASK_2002 is still in its AI step
})

describe('the remaining time, on the sample (ORDER_118 is its history)', () => {
  let dir: string
  let sample: string
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-cli-sample-'))
    sample = createSampleDatabase(dir)
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  test("list shows each running task's remaining time, and --order the ORDER on a last line", () => {
    const r = cli(['list', PROJECT, '--db', sample, '--order', 'ORDER_119'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(5 + 1)
    for (const line of lines.slice(0, 5)) expect(line).toMatch(/\(\d+%\)  (残り約\d+分|残り1分未満|予定超過)  (Worker [A-D]|ParallelWorker)  \((log|history|recorded)\)$/)
    expect(lines[5]).toMatch(/^ORDER_119  56%  実行中 7、待機 3、完了 2、停止 2（失敗 1）  実行中タスク終了予定 ~\d\d:\d\d$/)
    const en = cli(['list', PROJECT, '--db', sample, '--order', 'ORDER_119', '--locale', 'en']).stdout
    expect(en).toMatch(/ORDER_119  56%  7 running, 3 waiting, 2 finished, 2 stopped \(1 failed\)  running tasks end ~\d\d:\d\d\n$/)
    expect(en).toMatch(/(about \d+ min left|less than a minute left|overdue)/)
    // --json: the seed's shape, with eta in snake_case
    const json = JSON.parse(cli(['list', PROJECT, '--db', sample, '--json']).stdout)
    expect(json.TASK_1031.eta).toEqual({
      expected_end_at: expect.any(String),
      low_at: expect.any(String),
      high_at: expect.any(String),
      basis_runs: expect.any(Number),
      overdue: expect.any(Boolean),
    })
  })

  test('stats shows how the estimate did on the finished runs', () => {
    const r = cli(['stats', PROJECT, '--db', sample])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('remaining-time estimate, each finished run left out')
    for (const kind of ['first', 'rework', 'review']) expect(r.stdout).toMatch(new RegExp(`^  ${kind} +\\d+ +\\d+ +[\\d.]+[ms] +[\\d.]+[ms] +\\d+%$`, 'm'))
    expect(cli(['stats', PROJECT, '--db', ud.dbPath]).stdout).toContain('not calibrated yet')
  })

  test('watch --order adds the remaining time to each change and prints the ORDER when it moves', async () => {
    const child = spawn(process.execPath, [CLI, 'watch', PROJECT, '--db', sample, '--order', 'ORDER_119', '--interval', '50'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let stdout = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      for (let i = 0; i < 100 && !stdout.includes('"order"'); i++) await new Promise((r) => setTimeout(r, 50))
      const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
      expect(lines.slice(0, 5).map((l) => typeof l.remaining)).toEqual(Array(5).fill('string'))
      expect(lines[0].remaining).not.toBe('')
      expect(lines[5]).toEqual({ order: expect.objectContaining({ order_id: 'ORDER_119', percent: 56, running: 7, expected_end_at: expect.any(String) }) })
    } finally {
      child.kill('SIGKILL')
    }
  })
})

test('record writes an event the next query reads', () => {
  const r = cli(['record', PROJECT, 'TASK_2002', 'create_report', 'start', '--detail', 'レポート', '--db', ud.dbPath])
  expect(r.code).toBe(0)
  expect(JSON.parse(cli([PROJECT, 'TASK_2002', '--db', ud.dbPath]).stdout)).toMatchObject({ current_step: 'create_report', source: 'recorded' })
  expect(cli(['record', PROJECT, 'TASK_2002', 'nope', 'start', '--db', ud.dbPath]).code).toBe(2)
})

test('demo runs on a sample database it builds, live', () => {
  const r = cli(['demo', '--fast'])
  expect(r.code).toBe(0)
  expect(r.stdout).toContain('[4/7] AI実行中 (57%)')
  expect(r.stdout).toMatch(/TASK_1040 .*failed in create_report/)
  const live = r.stdout.slice(r.stdout.indexOf('Live'))
  // a worker goes on in its log
  expect(live).toMatch(/TASK_1031 +\[4\/7\] AI実行中 \(57%\) +\(log\) +→ +\[5\/7\] レポート作成中 \(71%\) +\(log\)/)
  // the daemon launches the log of a task known so far from its history
  expect(live).toMatch(/TASK_1033 +\[4\/7\] AI実行中 \(57%\) +\(history\) +→ +\[4\/7\] AI実行中 \(57%\) +\(log\)/)
  // the review worker starts reviewing a DONE task: step 7, from its review log
  expect(live).toMatch(/TASK_1043 +\[DONE\] 実行中でない +\(log\) +→ +\[7\/7\] 自動レビュー中 \(100%\) +\(log\)/)
  // a rework run goes on inside the review log
  expect(live).toMatch(/TASK_1035 +\[4\/7\] AI実行中 \(57%\) +\(log\) +→ +\[5\/7\] レポート作成中 \(71%\)/)
  // a worker dies; a step recorded as failed
  expect(live).toMatch(/TASK_1032 +\[6\/7\] 完了処理中 \(85%\) +\(log\) +→ +エラー: 後続タスクの起動に失敗しました/)
  expect(live).toMatch(/TASK_1034 +\[6\/7\] 完了処理中 \(85%\) +\(recorded\) +→ +エラー: DB更新に失敗しました/)
  // nothing the real worker never writes
  expect(live).not.toContain('auto_review] start')
})

test('watch prints one JSON line per change until interrupted', async () => {
  const own = new UserData()
  own.task('TASK_2002', 'IN_PROGRESS', 'Worker B')
  own.start('TASK_2002', 'Worker B', '2026-10-24 01:51:49')
  const log = own.log('TASK_2002', '20261024_105149', logUntil(LOG_2002, '[self_verification] skip'))
  const child = spawn(process.execPath, [CLI, 'watch', PROJECT, '--db', own.dbPath, '--interval', '50'], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    const lines = () => stdout.split('\n').filter(Boolean)
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50))
    }
    await until(() => lines().length >= 1)
    const first = JSON.parse(lines()[0])
    expect(first).toMatchObject({ project_id: PROJECT, task_id: 'TASK_2002', previous: null })
    expect(first.current).toMatchObject({ current_step: 'execute_task', progress_percent: 57 })
    fs.appendFileSync(log, '2026-10-24 10:51:54 [INFO] [create_report] start: \n')
    await until(() => lines().length >= 2)
    const second = JSON.parse(lines()[1])
    expect(second.previous.current_step).toBe('execute_task')
    expect(second.current.current_step).toBe('create_report')
    child.kill('SIGINT')
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(code).toBe(0)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    own.remove()
  }
})
