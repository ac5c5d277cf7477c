// The app's own SQLite (better-sqlite3) and this addon's are two copies of
// SQLite in one process — the Electron main process. Whatever the addon does —
// reads sync and async, a watcher ticking, recording — no lock of the app's
// may be lost: another process stays refused the write lock while the app
// holds it, a truncating checkpoint stays refused while the app reads, the
// app's COMMIT succeeds, and the database stays intact. In WAL mode (as the
// app keeps it) and in rollback mode.
import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import {
  getMultipleTasksExecutionSteps,
  getMultipleTasksExecutionStepsSync,
  getTaskExecutionStep,
  getTaskExecutionStepSync,
  recordExecutionStep,
  watchExecutionSteps,
  type ExecutionStepWatcher,
} from '..'
import { PROJECT, UserData, asyncCode, syncCode } from './helpers'

/** Python's sqlite3 in another process (as the backend's workers), `timeout=0.3`. */
function python(dbPath: string, code: string): string {
  const script = `import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=0.3, isolation_level=None)\ntry:\n${code
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\nexcept sqlite3.OperationalError as e:\n    print('refused', e)`
  return execFileSync('python3', ['-c', script, dbPath], { encoding: 'utf8' }).trim()
}

const otherProcessWrites = (dbPath: string) =>
  python(dbPath, "c.execute('BEGIN IMMEDIATE')\nc.execute(\"UPDATE tasks SET title = title || '!' WHERE id = 'TASK_3001'\")\nc.execute('COMMIT')\nprint('wrote')")
const otherProcessCheckpoints = (dbPath: string) => python(dbPath, "print(c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()[0])")

for (const mode of ['WAL', 'DELETE'] as const) {
  describe(`journal_mode=${mode}`, () => {
    let ud: UserData
    let app: Database.Database
    let appReadOnly: Database.Database
    let watcher: ExecutionStepWatcher
    const heard: string[] = []

    beforeEach(() => {
      ud = new UserData()
      for (let i = 0; i < 12; i++) ud.task(`TASK_${3000 + i}`, 'IN_PROGRESS', 'Worker A')
      // The app: a read-write connection in its mode for its whole life, and AipmDbService's read-only one.
      app = new Database(ud.dbPath)
      app.pragma(`journal_mode = ${mode}`)
      appReadOnly = new Database(ud.dbPath, { readonly: true })
      heard.length = 0
      watcher = watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 10 }, (err, changes) => {
        if (err) heard.push(`error ${(err as Error & { code?: string }).code}`)
        for (const c of changes) heard.push(c.taskId)
      })
    })
    afterEach(() => {
      watcher.close()
      if (app.inTransaction) app.exec('ROLLBACK')
      app.close()
      appReadOnly.close()
      ud.remove()
    })

    /** Everything the addon does while the app holds something: sync, 16 async in flight, and the watcher for a while. */
    async function addonBusy(busyTimeoutMs: number) {
      getTaskExecutionStepSync(PROJECT, 'TASK_3000', { dbPath: ud.dbPath, busyTimeoutMs })
      getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath, busyTimeoutMs })
      const inFlight = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          i % 2 ? getTaskExecutionStep(PROJECT, `TASK_${3000 + i}`, { dbPath: ud.dbPath, busyTimeoutMs }) : getMultipleTasksExecutionSteps(PROJECT, { dbPath: ud.dbPath, busyTimeoutMs }),
        ),
      )
      await new Promise((r) => setTimeout(r, 120)) // the watcher ticks about ten times
      return inFlight
    }

    test("the app's write transaction keeps its lock while the addon reads, watches and tries to record", async () => {
      app.exec('BEGIN IMMEDIATE')
      app.prepare("UPDATE tasks SET assignee = 'Worker B' WHERE id = 'TASK_3000'").run()
      expect(otherProcessWrites(ud.dbPath)).toMatch(/^refused database is locked/)

      const answers = await addonBusy(5000)
      // Reads see the last commit, not the app's pending change.
      for (const a of answers) {
        const info = 'taskId' in a ? a : a.TASK_3000
        if (info.taskId === 'TASK_3000') expect(info.assignee).toBe('Worker A')
      }
      // Recording waits for the app's write lock, and gives up with a code: never two writers.
      expect(syncCode(() => recordExecutionStep(PROJECT, 'TASK_3001', 'execute_task', 'start', { dbPath: ud.dbPath, busyTimeoutMs: 100 }))).toBe('ERR_DB_BUSY')
      expect(otherProcessWrites(ud.dbPath)).toMatch(/^refused database is locked/)

      app.exec('COMMIT') // the app's commit succeeds (no SQLITE_PROTOCOL, no lost lock)
      expect(otherProcessWrites(ud.dbPath)).toBe('wrote')
      expect(getTaskExecutionStepSync(PROJECT, 'TASK_3000', { dbPath: ud.dbPath }).assignee).toBe('Worker B')
      recordExecutionStep(PROJECT, 'TASK_3001', 'execute_task', 'start', { dbPath: ud.dbPath })
      expect(getTaskExecutionStepSync(PROJECT, 'TASK_3001', { dbPath: ud.dbPath }).source).toBe('recorded')
      app.prepare("UPDATE tasks SET title = 'after' WHERE id = 'TASK_3002'").run() // the app writes on
      expect(app.pragma('integrity_check', { simple: true })).toBe('ok')
      await new Promise((r) => setTimeout(r, 100))
      expect(heard.filter((h) => h.startsWith('error'))).toEqual([])
      expect(heard.filter((h) => h === 'TASK_3000').length).toBeGreaterThanOrEqual(2) // first sight, then the app's commit
    })

    test("the app's read transaction keeps its snapshot while the addon reads and watches", async () => {
      app.prepare("UPDATE tasks SET title = 'written by the app' WHERE id = 'TASK_3005'").run() // frames in the -wal
      app.exec('BEGIN')
      const count = app.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }
      expect(count.n).toBe(12)
      await addonBusy(5000)
      if (mode === 'WAL') {
        // A truncating checkpoint must wait for the app's reader; so does a writer's commit in rollback mode.
        expect(otherProcessCheckpoints(ud.dbPath)).toBe('1')
      } else {
        expect(otherProcessWrites(ud.dbPath)).toMatch(/^refused database is locked/)
      }
      app.exec('COMMIT')
      if (mode === 'WAL') expect(otherProcessCheckpoints(ud.dbPath)).toBe('0')
      else expect(otherProcessWrites(ud.dbPath)).toBe('wrote')
      expect(app.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(heard.filter((h) => h.startsWith('error'))).toEqual([])
    })

    test('a busy timeout ends in a coded error, not a hang', async () => {
      const other = new Database(ud.dbPath) // another writer holding the database exclusively
      other.exec('BEGIN EXCLUSIVE')
      if (mode === 'DELETE') {
        expect(syncCode(() => getTaskExecutionStepSync(PROJECT, 'TASK_3000', { dbPath: ud.dbPath, busyTimeoutMs: 50 }))).toBe('ERR_DB_BUSY')
        expect(await asyncCode(getTaskExecutionStep(PROJECT, 'TASK_3000', { dbPath: ud.dbPath, busyTimeoutMs: 50 }))).toBe('ERR_DB_BUSY')
      } else {
        // WAL readers never wait for a writer.
        expect(getTaskExecutionStepSync(PROJECT, 'TASK_3000', { dbPath: ud.dbPath, busyTimeoutMs: 50 }).status).toBe('IN_PROGRESS')
      }
      other.exec('ROLLBACK')
      other.close()
      expect(getTaskExecutionStepSync(PROJECT, 'TASK_3000', { dbPath: ud.dbPath }).status).toBe('IN_PROGRESS')
    })
  })
}
