// What the places that host the package do to it (issue 14): the garbage collector
// collecting a watcher's handle nobody kept, a worker thread's and a Jest test file's own
// process.env, and Jest 29's open-handle detection. Each test runs the package the way an
// app or a test suite does: a separate Node process, a worker thread, this very test file,
// or a Jest run of its own.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'
import { createSampleDatabase, getTaskExecutionStep, getTaskExecutionStepSync, recordExecutionStep, watchExecutionSteps } from '..'
import type { ExecutionStepChange, ExecutionStepInfo } from '..'
import { PROJECT } from './helpers'

const PACKAGE = path.join(__dirname, '..')
const JEST = path.join(PACKAGE, 'node_modules', 'jest', 'bin', 'jest.js')

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; exitedAt: number; lines: Array<{ text: string; at: number }> }

/** Runs Node with `args`; notes when each stdout line arrived and when the process exited. Killed after `limitMs`. */
function runNode(args: string[], options: { cwd?: string; limitMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: Run['lines'] = []
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      for (const text of chunk.split('\n').filter(Boolean)) lines.push({ text, at: Date.now() })
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const limit = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 20000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(limit)
      resolve({ code, signal, stdout, stderr, exitedAt: Date.now(), lines })
    })
  })
}

let dir: string
let dbPath: string
beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-host-')))
  dbPath = createSampleDatabase(dir)
  // Only this database says so: TASK_1033 is in step 4 (execute_task) by its history in
  // every sample, and in step 5 here, by a recorded event.
  recordExecutionStep(PROJECT, 'TASK_1033', 'create_report', 'start', { dbPath })
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** TASK_1033 as read from `dbPath`, and from no other database. */
const FROM_THIS_DATABASE = { taskId: 'TASK_1033', currentStep: 'create_report', source: 'recorded' }

describe('a watcher whose handle the caller does not keep', () => {
  test('keeps reporting every change through garbage collection, and the process still exits by itself', async () => {
    const userData = fs.mkdtempSync(path.join(dir, 'gc-'))
    // The app's pattern: start watching, forward changes, never store the handle.
    const script = `
      const steps = require(${JSON.stringify(PACKAGE)})
      const dbPath = steps.createSampleDatabase(process.argv[1])
      const seen = []
      let collected = false
      const handles = new FinalizationRegistry(() => { collected = true })
      let wake = () => {}
      function startWatching() {
        const handle = steps.watchExecutionSteps(${JSON.stringify(PROJECT)}, { dbPath, taskIds: ['TASK_1033'], intervalMs: 20 }, (err, changes) => {
          seen.push(err ? 'error ' + err.code : changes.map((c) => c.current.currentStep).join(','))
          wake()
        })
        handles.register(handle, 'watcher handle')
      }
      /** Until the listener has been called n times, or ms have passed. */
      const heard = (n, ms) => new Promise((resolve) => {
        const timer = setTimeout(resolve, ms)
        wake = () => { if (seen.length >= n) { clearTimeout(timer); resolve() } }
        wake()
      })
      async function collectGarbage() {
        for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 20)) }
      }
      ;(async () => {
        startWatching()
        await heard(1, 3000)
        for (const step of ['create_report', 'update_status_done', 'auto_review']) {
          await collectGarbage()
          steps.recordExecutionStep(${JSON.stringify(PROJECT)}, 'TASK_1033', step, 'start', { dbPath })
          await heard(seen.length + 1, 1000)
        }
        // Nothing is pending now but the watcher.
        console.log(JSON.stringify({ seen, collected }))
      })()`
    const run = await runNode(['--expose-gc', '-e', script, userData])
    expect(run.stderr).toBe('')
    expect(run.lines).toHaveLength(1)
    const result = JSON.parse(run.lines[0].text)
    expect(result.collected).toBe(true) // the handle really was garbage
    expect(result.seen).toEqual(['execute_task', 'create_report', 'update_status_done', 'auto_review'])
    expect(run).toMatchObject({ code: 0, signal: null })
    expect(run.exitedAt - run.lines[0].at).toBeLessThan(3000)
  })
})

describe('process.env.AIPM_DB_PATH set where the call is made', () => {
  test('in a worker thread (its own copy of the environment) reaches the addon', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const steps = require(workerData.pkg)
      process.env.AIPM_DB_PATH = workerData.dbPath
      const report = {}
      try { report.sync = steps.getTaskExecutionStepSync(workerData.project, 'TASK_1033') } catch (e) { report.sync = { error: e.code, message: e.message } }
      steps.getTaskExecutionStep(workerData.project, 'TASK_1033').then(
        (info) => parentPort.postMessage({ ...report, async: info }),
        (e) => parentPort.postMessage({ ...report, async: { error: e.code, message: e.message } }))`
    const before = process.env.AIPM_DB_PATH
    const worker = new Worker(code, { eval: true, workerData: { pkg: PACKAGE, project: PROJECT, dbPath } })
    const report = await new Promise<{ sync: ExecutionStepInfo; async: ExecutionStepInfo }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    expect(report.sync).toMatchObject(FROM_THIS_DATABASE)
    expect(report.async).toMatchObject(FROM_THIS_DATABASE)
    expect(process.env.AIPM_DB_PATH).toBe(before) // the worker's assignment stayed in its copy
  })

  test('in a Jest test file (Jest sandboxes process.env per file) reaches the addon, for queries and watchers', async () => {
    const before = process.env.AIPM_DB_PATH
    process.env.AIPM_DB_PATH = dbPath
    try {
      expect(getTaskExecutionStepSync(PROJECT, 'TASK_1033')).toMatchObject(FROM_THIS_DATABASE)
      expect(await getTaskExecutionStep(PROJECT, 'TASK_1033')).toMatchObject(FROM_THIS_DATABASE)
      const first = await new Promise<{ err: Error | null; changes: ExecutionStepChange[] }>((resolve) => {
        const watcher = watchExecutionSteps(PROJECT, { taskIds: ['TASK_1033'], intervalMs: 20 }, (err, changes) => {
          watcher.close()
          resolve({ err, changes })
        })
      })
      expect(first.err).toBeNull()
      expect(first.changes.map((c) => c.current)).toEqual([expect.objectContaining(FROM_THIS_DATABASE)])
    } finally {
      if (before === undefined) delete process.env.AIPM_DB_PATH
      else process.env.AIPM_DB_PATH = before
    }
  })
})

test('Jest 29 --detectOpenHandles reports nothing for a test file that only imports the package', async () => {
  const project = fs.mkdtempSync(path.join(dir, 'jest-'))
  fs.writeFileSync(
    path.join(project, 'jest.config.js'),
    `module.exports = { rootDir: __dirname, testEnvironment: 'node', transform: {}, watchman: false, cacheDirectory: __dirname + '/.cache' }\n`,
  )
  fs.writeFileSync(
    path.join(project, 'imports.test.js'),
    `const steps = require(${JSON.stringify(PACKAGE)})\ntest('the package loads', () => expect(steps.EXECUTION_STEPS).toHaveLength(7))\n`,
  )
  const run = await runNode([JEST, '--config', path.join(project, 'jest.config.js'), '--detectOpenHandles', '--ci'], { cwd: project })
  const output = run.stdout + run.stderr
  expect(output).toMatch(/Tests:\s+1 passed, 1 total/)
  expect(output).not.toMatch(/open handle/i)
  expect(run).toMatchObject({ code: 0, signal: null })
})
