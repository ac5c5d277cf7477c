// The app's Vitest setup, run in every pool Vitest has, with and without isolation: one
// project per configuration, each running the same three test files in parallel workers.
import { defineConfig } from 'vitest/config'

export const POOLS = ['forks', 'threads', 'vmThreads', 'vmForks'] as const

export default defineConfig({
  test: {
    globalSetup: ['./global-setup.ts'],
    // Two workers for three files, whatever the machine (Vitest's default on 2 cores is
    // one): two files run at once, and without isolation the third reuses a worker, so
    // files share that worker's modules and its one copy of the addon.
    maxWorkers: 2,
    testTimeout: 30000,
    projects: POOLS.flatMap((pool) =>
      [true, false].map((isolate) => {
        const configuration = `${pool}/${isolate ? 'isolate' : 'no-isolate'}`
        return {
          extends: true,
          test: {
            name: configuration,
            include: ['__tests__/**/*.test.ts'],
            pool,
            isolate,
            provide: { configuration },
          },
        }
      }),
    ),
  },
})
