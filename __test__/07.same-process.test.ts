// The app's own better-sqlite3 and this addon's bundled SQLite are two copies of
// SQLite in one process. POSIX locks belong to the process: a lock released or a
// descriptor closed by one copy releases the other's too. The addon's reads take
// no file lock and close no descriptor, so the app's write lock holds while the
// addon reads and watches (src/db/snapshot.rs, src/db/pool.rs).
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import {
  getMultipleTasksExecutionSteps,
  getMultipleTasksExecutionStepsSync,
  getTaskExecutionStepSync,
  watchExecutionSteps,
} from '..'
import { PROJECT, UserData } from './helpers'

/** Whether another process can take the write lock right now (busy timeout 0). */
function workerCanWrite(dbPath: string): boolean {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1], { timeout: 0 })
    try { db.exec('BEGIN IMMEDIATE'); db.exec('ROLLBACK'); console.log('wrote') }
    catch (e) { console.log(e.code) }`
  const r = spawnSync(process.execPath, ['-e', script, dbPath], { encoding: 'utf8', cwd: __dirname })
  const answer = r.stdout.trim()
  if (answer !== 'wrote' && answer !== 'SQLITE_BUSY') throw new Error(`probe failed: ${r.stdout}${r.stderr}`)
  return answer === 'wrote'
}

let ud: UserData
let app: Database.Database
beforeEach(() => {
  ud = new UserData()
  for (let i = 0; i < 12; i++) ud.task(`TASK_${3000 + i}`, 'IN_PROGRESS', 'Worker A')
  app = new Database(ud.dbPath)
})
afterEach(() => {
  if (app.inTransaction) app.exec('ROLLBACK')
  app.close()
  ud.remove()
})

test("the app's write lock holds while the addon reads and watches in the same process", async () => {
  // A watcher running, and connections open, before the app starts writing.
  const heard: string[] = []
  const watcher = watchExecutionSteps(PROJECT, { dbPath: ud.dbPath, intervalMs: 10 }, (err, changes) => {
    if (err) heard.push(`error ${(err as Error & { code?: string }).code}`)
    for (const c of changes) heard.push(c.taskId)
  })
  getTaskExecutionStepSync(PROJECT, 'TASK_3000', { dbPath: ud.dbPath })

  // The app reserves the database (its journal exists from the first change).
  app.exec('BEGIN IMMEDIATE')
  expect(workerCanWrite(ud.dbPath)).toBe(false)
  // The addon's own reads neither wait on the app nor release its lock: with
  // the journal there they answer ERR_DB_BUSY within their timeout.
  expect(getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath })).toBeDefined()
  app.prepare("UPDATE tasks SET assignee = 'Worker B' WHERE id = 'TASK_3000'").run()
  const during = await Promise.allSettled(
    Array.from({ length: 16 }, () => getMultipleTasksExecutionSteps(PROJECT, { dbPath: ud.dbPath, busyTimeoutMs: 30 })),
  )
  for (const r of during) expect(r.status === 'rejected' && (r.reason as { code?: string }).code).toBe('ERR_DB_BUSY')
  await new Promise((r) => setTimeout(r, 100)) // the watcher ticks ten times meanwhile
  expect(workerCanWrite(ud.dbPath)).toBe(false)

  app.exec('COMMIT')
  expect(workerCanWrite(ud.dbPath)).toBe(true)
  const after = getMultipleTasksExecutionStepsSync(PROJECT, { dbPath: ud.dbPath })
  expect(after.TASK_3000.assignee).toBe('Worker B')
  await new Promise((r) => setTimeout(r, 200))
  watcher.close()
  expect(heard.filter((h) => h.startsWith('error'))).toEqual([])
  expect(heard.filter((h) => h === 'TASK_3000')).toHaveLength(2) // first sight, then the app's commit
})
