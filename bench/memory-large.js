// RSS of a process that reads the large database, in a process of its own:
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
const rss = () => {
  global.gc?.()
  return mb(process.memoryUsage().rss)
}

const db = new Database(dbPath, { readonly: true, fileMustExist: true })
const tasks = db.prepare('SELECT project_id, id FROM tasks ORDER BY project_id, id').raw(true).all()
const historyRows = db.prepare('SELECT COUNT(*) FROM change_history').pluck().get()
db.close()

const stages = []
const stage = (name, extra = {}) => stages.push({ name, rssMb: rss(), ...extra })
stage('addon loaded, nothing read')

let started = process.hrtime.bigint()
const batch = addon.getMultipleTasksExecutionStepsSync(project, { dbPath })
stage(`batch over the running tasks of ${project} (${Object.keys(batch).length} tasks)`, {
  seconds: Number(process.hrtime.bigint() - started) / 1e9,
})

for (let p = 1; p <= Number(passes); p++) {
  started = process.hrtime.bigint()
  let notFound = 0
  for (const [projectId, id] of tasks) {
    if (addon.getTaskExecutionStepSync(projectId, id, { dbPath }).error) notFound++
  }
  if (notFound) throw new Error(`${notFound} tasks not found`)
  stage(`single calls over all ${tasks.length.toLocaleString('en')} tasks, pass ${p}`, {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  })
}

process.stdout.write(
  JSON.stringify({ tasks: tasks.length, historyRows, stages, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n',
)
