// Runs once in Vitest's main process, before any worker starts: a default database for
// every file of every pool, which each worker's process.env inherits (a child process's
// environment in the fork pools, a worker thread's copy in the thread pools). The addon
// reads the process.env of the code that calls it, so a test file may also set its own
// (env-watch.test.ts does).
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { createSampleDatabase } from 'aipm-execution-steps'

export default function setup(): () => void {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-vitest-env-'))
  process.env.AIPM_DB_PATH = createSampleDatabase(userDataDir)
  // Lets each test file note whether it ran in this process (thread pools) or a child (fork pools).
  process.env.CONSUMER_VITEST_MAIN_PID = String(process.pid)
  return () => fs.rmSync(userDataDir, { recursive: true, force: true })
}
