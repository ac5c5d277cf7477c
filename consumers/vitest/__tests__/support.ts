// What the three test files share: the sample's expected answers, scratch folders, and a
// note of where each file ran, which check.js reads to confirm the pool and the parallelism.
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMainThread, threadId } from 'node:worker_threads'
import { inject } from 'vitest'
import type { ExecutionStepInfo } from 'aipm-execution-steps'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The project's pool configuration, e.g. 'vmThreads/no-isolate'. */
    configuration: string
  }
}

interface SampleExpectations {
  PROJECT: string
  RUNNING_TASK_DISPLAYS: Record<string, string>
  assertTask1031(info: ExecutionStepInfo): void
  assertMissingTask(info: ExecutionStepInfo): void
}

/** consumers/shared/sample-expectations.js, loaded by Node's own require. */
export const expected = createRequire(import.meta.url)('../../shared/sample-expectations.js') as SampleExpectations

/** A fresh folder under the OS temp dir; remove it with removeDir. */
export function newDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `consumer-vitest-${prefix}-`))
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}

/**
 * Notes which configuration ran the test file `fileUrl` (its import.meta.url) in which
 * worker, from when to when, in the folder check.js names (CONSUMER_VITEST_RECORDS).
 * Call from beforeAll; call the result in afterAll.
 */
export function noteWhereThisRuns(fileUrl: string): () => void {
  const started = Date.now()
  const file = fileURLToPath(fileUrl)
  return () => {
    const folder = process.env.CONSUMER_VITEST_RECORDS
    if (!folder) return
    const configuration = inject('configuration')
    const record = {
      configuration,
      file: path.basename(file),
      pid: process.pid,
      mainPid: Number(process.env.CONSUMER_VITEST_MAIN_PID),
      isMainThread,
      threadId,
      started,
      ended: Date.now(),
    }
    const name = `${configuration.replace('/', '-')}-${path.basename(file)}-${process.pid}-${threadId}.json`
    fs.writeFileSync(path.join(folder, name), JSON.stringify(record))
  }
}
