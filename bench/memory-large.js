// RSS of a process that reads the large database, in a process of its own
// (and the JS heap beside it, to tell the addon's native memory from the harness's):
// `node --expose-gc bench/memory-large.js <db> <project> <passes>`
// prints JSON: RSS after loading the addon, after a batch over the project's
// running tasks, and after each pass of single sync calls over every task of
// every project (more history rows than the addon's caches hold, so they fill
// to their bounds and evict), plus the peak RSS.
'use strict'

const Database = require('better-sqlite3')
const addon = require('..')

const [dbPath, project, passes] = process.argv.slice(2)
const mb = (b) => b / 2 ** 20
const usage = () => {
  global.gc?.()
  const u = process.memoryUsage()
  return { rssMb: mb(u.rss), heapMb: mb(u.heapTotal), externalMb: mb(u.external) }
}

const db = new Database(dbPath, { readonly: true, fileMustExist: true })
const tasks = db.prepare('SELECT project_id, id FROM tasks ORDER BY project_id, id').raw(true).all()
const historyRows = db.prepare('SELECT COUNT(*) FROM change_history').pluck().get()
db.close()

const stages = []
const stage = (name, extra = {}) => stages.push({ name, ...usage(), ...extra })
stage('addon loaded, nothing read')

let started = process.hrtime.bigint()
const batch = addon.getMultipleTasksExecutionStepsSync(project, { dbPath })
stage(`batch over the running tasks of ${project} (${Object.keys(batch).length} tasks)`, {
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
})

for (let p = 1; p <= Number(passes); p++) {
  started = process.hrtime.bigint()
  let notFound = 0
  // RSS along the first pass, every tenth of the tasks
  const curve = []
  const step = Math.ceil(tasks.length / 10)
  tasks.forEach(([projectId, id], i) => {
    if (addon.getTaskExecutionStepSync(projectId, id, { dbPath }).error) notFound++
    if (p === 1 && (i + 1) % step === 0) curve.push({ calls: i + 1, rssMb: usage().rssMb })
  })
  if (curve.length) stages.curve = curve
  if (notFound) throw new Error(`${notFound} tasks not found`)
  stage(`single calls over all ${tasks.length.toLocaleString('en')} tasks, pass ${p}`, {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  })
}

process.stdout.write(
  JSON.stringify({ tasks: tasks.length, historyRows, stages, curve: stages.curve, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n',
)
