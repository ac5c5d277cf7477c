// Runs once in Vitest's main process, before any worker starts. Environment variables for
// the addon belong here: the addon reads the OS environment, which assignments to
// process.env in the main thread change and every pool's workers see; an assignment inside
// a test file does not reach it in the threads pools (their process.env is a per-thread copy).
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
