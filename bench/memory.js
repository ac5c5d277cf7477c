// RSS over many sync calls, in a process of its own so nothing else the
// benchmark allocated shows: `node --expose-gc bench/memory.js <db> <project> <calls> <task>...`
'use strict'

const addon = require('..')

const [dbPath, project, calls, ...ids] = process.argv.slice(2)
const call = (i) => addon.getTaskExecutionStepSync(project, ids[i % ids.length], { dbPath })
for (let i = 0; i < 20_000; i++) call(i) // warm-up: connections, memo, JIT
global.gc?.()
const before = process.memoryUsage().rss
const started = process.hrtime.bigint()
for (let i = 0; i < Number(calls); i++) call(i)
const seconds = Number(process.hrtime.bigint() - started) / 1e9
global.gc?.()
const after = process.memoryUsage().rss
const mb = (b) => b / 2 ** 20
/** This process's own peak RSS (Linux's VmHWM; not ru_maxrss, which a child starts with its parent's), MB. */
function peakRssMb() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}
process.stdout.write(
  JSON.stringify({ calls: Number(calls), beforeMb: mb(before), afterMb: mb(after), growthMb: mb(after - before), seconds, peakRssMb: peakRssMb() }) + '\n',
)
