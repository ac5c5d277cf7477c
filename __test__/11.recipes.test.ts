// The README's Electron recipes, run as the README gives them, against stub
// `BrowserWindow` and `Notification` objects and the sample database, while
// the app's own connection (better-sqlite3, in this process) and a worker
// change what the recipe watches.
import Database from 'better-sqlite3'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as steps from '..'

/** The code of the README block after `<!-- recipe: name -->`. */
function recipe(name: string): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  const marker = readme.indexOf(`<!-- recipe: ${name} -->`)
  expect(marker).toBeGreaterThan(-1)
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(marker))
  return block![1]
}

type Bar = [number, string]
type Shown = { title: string; body: string }

/** What Electron's main process gives the recipe: a window that records its taskbar bar, notifications that record what they show. */
function electronStub() {
  const shown: Shown[] = []
  class Notification {
    constructor(private readonly options: Shown) {}
    static isSupported() {
      return true
    }
    show() {
      shown.push(this.options)
    }
  }
  const bars: Bar[] = []
  const win = {
    isDestroyed: () => false,
    setProgressBar(progress: number, options?: { mode?: string }) {
      bars.push([progress, options?.mode ?? 'normal'])
    },
  }
  return { electron: { Notification }, win, bars, shown }
}

/** Loads the recipe as the app's main process would, with `electron` stubbed. */
function load(code: string, electron: unknown): Record<string, (...args: unknown[]) => steps.ExecutionStepWatcher> {
  const module = { exports: {} as Record<string, never> }
  const require = (id: string) => (id === 'electron' ? electron : id === 'aipm-execution-steps' ? steps : undefined)
  new Function('require', 'module', `${code}\nmodule.exports = { followOrder }`)(require, module)
  return module.exports
}

async function until(what: string, done: () => boolean) {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 25))
  if (!done()) throw new Error(`timed out waiting for ${what}`)
}

const PROJECT = 'ai_pm_manager'
let dir: string
let dbPath: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-recipe-'))
  dbPath = steps.createSampleDatabase(dir)
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

test('taskbar: the ORDER as a bar (error once a task failed), a notification for a failed step and for the finished ORDER', async () => {
  const { electron, win, bars, shown } = electronStub()
  const { followOrder } = load(recipe('taskbar'), electron)
  const watcher = followOrder(win, PROJECT, 'ORDER_119', { dbPath, intervalMs: 20 })
  const app = new Database(dbPath) // the app's own connection
  try {
    // At start: TASK_1040 failed before the app started — error mode, no notification.
    await until('the first bar', () => bars.length > 0)
    expect(bars.at(-1)).toEqual([0.56, 'error'])
    expect(shown).toEqual([])

    // The user cancels the failed task: the bar goes back to normal.
    app.prepare(`UPDATE tasks SET status = 'CANCELLED' WHERE project_id = ? AND id = 'TASK_1040'`).run(PROJECT)
    await until('a normal bar', () => bars.at(-1)![1] === 'normal')
    expect(bars.at(-1)).toEqual([0.54, 'normal'])

    // A worker's step fails: a notification naming the task and the step, the bar in error.
    steps.recordExecutionStep(PROJECT, 'TASK_1034', 'update_status_done', 'failed', { dbPath, detail: 'DB更新に失敗しました' })
    await until('a notification', () => shown.length > 0)
    expect(shown).toEqual([{ title: 'TASK_1034: update_status_done', body: 'エラー: DB更新に失敗しました' }])
    await until('an error bar', () => bars.at(-1)![1] === 'error')

    // Every task through: the bar goes, one notification says so.
    app.prepare(`UPDATE tasks SET status = 'COMPLETED' WHERE project_id = ? AND order_id = 'ORDER_119' AND status != 'CANCELLED'`).run(PROJECT)
    await until('the finished ORDER', () => shown.length > 1)
    expect(shown[1]).toEqual({ title: 'ORDER_119: finished', body: '13 tasks done' })
    expect(bars.at(-1)).toEqual([-1, 'normal'])
    await new Promise((r) => setTimeout(r, 100))
    expect(shown).toHaveLength(2)
  } finally {
    watcher.close()
    app.close()
  }
})

test('taskbar: indeterminate while nothing is known, no notification for an ORDER finished before the app started', async () => {
  const { electron, win, bars, shown } = electronStub()
  const { followOrder } = load(recipe('taskbar'), electron)
  const unknown = followOrder(win, PROJECT, 'ORDER_999', { dbPath, intervalMs: 20 })
  try {
    await until('the first bar', () => bars.length > 0)
    expect(bars).toEqual([[2, 'indeterminate']])
  } finally {
    unknown.close()
  }
  const earlier = followOrder(win, PROJECT, 'ORDER_118', { dbPath, intervalMs: 20 })
  try {
    await until('the second bar', () => bars.length > 1)
    expect(bars[1]).toEqual([-1, 'normal'])
    await new Promise((r) => setTimeout(r, 100))
    expect(shown).toEqual([])
  } finally {
    earlier.close()
  }
})
