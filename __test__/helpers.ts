// Test databases in the real AI PM shape, built with better-sqlite3 (what the app uses) from our own DDL.
import Database from 'better-sqlite3'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import type { ExecutionStepInfo } from '..'

export const PROJECT = 'ai_pm_manager'
export const ORDER = 'ORDER_119'
export const FIXTURES = path.join(__dirname, 'fixtures')
export const SCHEMA = fs.readFileSync(path.join(__dirname, '..', 'src', 'sample', 'schema.sql'), 'utf8')
export const LOG_2001 = fs.readFileSync(path.join(FIXTURES, 'worker_TASK_2001_20261024_105205.log'), 'utf8')
export const LOG_2002 = fs.readFileSync(path.join(FIXTURES, 'worker_TASK_2002_20261024_105149.log'), 'utf8')

/** A user-data folder: data/aipm.db plus PROJECTS/ for worker logs. */
export class UserData {
  readonly root: string
  readonly dbPath: string

  constructor(ddl: string = SCHEMA) {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-test-')))
    fs.mkdirSync(path.join(this.root, 'data'))
    this.dbPath = path.join(this.root, 'data', 'aipm.db')
    this.write((db) => db.exec(ddl))
  }

  write<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(this.dbPath)
    try {
      return fn(db)
    } finally {
      db.close()
    }
  }

  /** A task; updated_at as the Python backend writes it (local time, no offset). */
  task(id: string, status: string, assignee: string | null = null, opts: { project?: string; order?: string; updated?: string } = {}) {
    this.write((db) =>
      db
        .prepare(`INSERT INTO tasks (id, project_id, order_id, title, status, assignee, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(id, opts.project ?? PROJECT, opts.order ?? ORDER, `${id} のタスク`, status, assignee, opts.updated ?? '2026-10-24T10:51:49'),
    )
  }

  /** change_history rows as the real writers leave them: project_id NULL, changed_at UTC, `changed_by` `<role> (<worker>)`. */
  history(
    task: string,
    field: string,
    oldValue: string | null,
    newValue: string,
    changedAtUtc: string,
    project: string | null = null,
    changedBy = 'Worker (Worker A)',
  ) {
    this.write((db) =>
      db
        .prepare(
          `INSERT INTO change_history (entity_type, entity_id, project_id, field_name, old_value, new_value, changed_by, changed_at)
           VALUES ('task', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(task, project, field, oldValue, newValue, changedBy, changedAtUtc),
    )
  }

  /** What a worker started by hand writes in its assign step (after its file locks): assignee, then status, in the same second. */
  start(task: string, worker: string, atUtc: string) {
    this.history(task, 'assignee', null, worker, atUtc, null, `Worker (${worker})`)
    this.history(task, 'status', 'QUEUED', 'IN_PROGRESS', atUtc, null, `Worker (${worker})`)
  }

  log(task: string, stamp: string, text: string, order = ORDER, project = PROJECT): string {
    const dir = path.join(this.root, 'PROJECTS', project, 'RESULT', order, 'LOGS')
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, `worker_${task}_${stamp}.log`)
    fs.writeFileSync(file, text)
    return file
  }

  remove() {
    fs.rmSync(this.root, { recursive: true, force: true })
  }
}

/** The log up to and including the first line containing `marker`. */
export function logUntil(log: string, marker: string): string {
  const at = log.indexOf(marker)
  if (at < 0) throw new Error(`marker not in log: ${marker}`)
  const end = log.indexOf('\n', at)
  return end < 0 ? log : log.slice(0, end + 1)
}

/** A result with the in-progress step's growing duration removed, to compare answers taken moments apart. */
export function settled(info: ExecutionStepInfo): ExecutionStepInfo {
  return { ...info, steps: info.steps?.map((s) => (s.status === 'in_progress' ? { ...s, durationMs: null } : s)) ?? null }
}

/** Whether `e` is an Error (also across Jest's realms, where `instanceof Error` fails for native errors). */
export function isError(e: unknown): e is Error & { code?: string } {
  return Object.prototype.toString.call(e) === '[object Error]'
}

/** Another process in the middle of a write (exclusive lock, journal on disk); `release()` rolls it back. */
export async function holdExclusiveLock(dbPath: string): Promise<{ release: () => Promise<void> }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'lock-holder.js'), dbPath], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)))
  })
  return {
    release: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin!.write('release\n')
      }),
  }
}

/** SHA-256 of a file's bytes, to show a database was not changed. */
export function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

/** The `code` of the error `fn` throws; fails the test if it returns or throws a non-Error. */
export function syncCode(fn: () => unknown): string | undefined {
  let result: unknown
  try {
    result = fn()
  } catch (e) {
    if (!isError(e)) throw new Error(`threw a non-Error: ${String(e)}`)
    return e.code
  }
  throw new Error(`expected an error, got ${JSON.stringify(result)?.slice(0, 200)}`)
}

/** The `code` of the error the promise rejects with; fails the test if it resolves. */
export async function asyncCode(promise: Promise<unknown>): Promise<string | undefined> {
  let result: unknown
  try {
    result = await promise
  } catch (e) {
    if (!isError(e)) throw new Error(`rejected with a non-Error: ${String(e)}`)
    return e.code
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(result)?.slice(0, 200)}`)
}
