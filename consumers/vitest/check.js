'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const POOLS = ['forks', 'threads', 'vmThreads', 'vmForks']
const CONFIGURATIONS = POOLS.flatMap((pool) => [`${pool}/isolate`, `${pool}/no-isolate`])
const FILES = ['env-watch.test.ts', 'reload.test.ts', 'service.test.ts']
const TESTS_PER_ROUND = 8 // 3 + 2 + 3

/** Where each test file ran, as __tests__/support.ts noted it. */
function checkPlacement(records) {
  for (const configuration of CONFIGURATIONS) {
    const ran = records.filter((r) => r.configuration === configuration)
    assert.deepEqual(ran.map((r) => r.file).sort(), FILES, `${configuration}: the three files`)
    const [pool, isolation] = configuration.split('/')
    for (const r of ran) {
      if (pool === 'threads' || pool === 'vmThreads') {
        assert.ok(!r.isMainThread && r.pid === r.mainPid, `${configuration}: ${r.file} ran in a worker thread of Vitest's process`)
      } else {
        assert.ok(r.isMainThread && r.pid !== r.mainPid, `${configuration}: ${r.file} ran in a child process`)
      }
    }
    const workers = new Set(ran.map((r) => `${r.pid}:${r.threadId}`))
    assert.ok(workers.size >= 2, `${configuration}: the files ran in parallel workers (${workers.size} worker)`)
    // vmThreads/vmForks give each file a fresh VM context whatever `isolate` says; in the
    // other two pools isolation means a fresh worker per file, and without it a worker
    // runs a second file with the modules (and the addon) the first one loaded.
    if (pool === 'forks' || pool === 'threads') {
      if (isolation === 'isolate') assert.equal(workers.size, 3, `${configuration}: a fresh worker per file`)
      else assert.equal(workers.size, 2, `${configuration}: a worker ran two files`)
    }
  }
}

module.exports = {
  name: 'vitest',
  what: 'Vitest 4, TypeScript, vi.mock of the config service, vi.resetModules(); 3 files in every pool, isolated or not',
  run(ctx) {
    ctx.node([ctx.modulePath('typescript/bin/tsc'), '-p', 'vitest/tsconfig.json'])
    const records = ctx.scratchDir()
    const results = path.join(ctx.projectDir, 'vitest-results.json')
    ctx.node([ctx.modulePath('vitest/vitest.mjs'), 'run', '--root', 'vitest', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`], {
      env: { ...process.env, CI: '1', CONSUMER_VITEST_RECORDS: records },
    })
    const report = JSON.parse(fs.readFileSync(results, 'utf8'))
    assert.equal(report.numTotalTestSuites, CONFIGURATIONS.length * FILES.length)
    assert.equal(report.numFailedTestSuites, 0)
    assert.equal(report.numFailedTests, 0)
    assert.equal(report.numPassedTests, CONFIGURATIONS.length * TESTS_PER_ROUND)
    checkPlacement(fs.readdirSync(records).map((f) => JSON.parse(fs.readFileSync(path.join(records, f), 'utf8'))))
    return `${CONFIGURATIONS.length} pool configurations × ${FILES.length} files: ${report.numTotalTestSuites} passed (${report.numPassedTests} tests, typechecked)`
  },
}
