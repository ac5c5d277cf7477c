// A process that only watches: `node bench/idle-cpu.js <db> <project> <watchers> <intervalMs> <seconds>`
// prints the CPU it used (user + system, % of one core) while nothing changed.
'use strict'

const { watchExecutionSteps } = require('..')

const [dbPath, project, watchers, intervalMs, seconds] = process.argv.slice(2)
const handles = []
for (let i = 0; i < Number(watchers); i++) {
  handles.push(watchExecutionSteps(project, { dbPath, intervalMs: Number(intervalMs) }, () => {}))
}
// Let the first ticks (which report every task once) pass before measuring.
setTimeout(() => {
  const cpu = process.cpuUsage()
  const started = process.hrtime.bigint()
  setTimeout(() => {
    const used = process.cpuUsage(cpu)
    const wallUs = Number(process.hrtime.bigint() - started) / 1000
    for (const h of handles) h.close()
    process.stdout.write(JSON.stringify({ cpuPercent: ((used.user + used.system) / wallUs) * 100 }) + '\n')
  }, Number(seconds) * 1000)
}, 1500)
