// The memory scenario of issue 21, in a process of its own that holds nothing
// but the addon and the ids it asks about:
//
//   node --expose-gc bench/memory-scenario.js <plan.json>
//
// plan.json (written by bench/run.js): { dbPath, projects: [{ project, taskIds,
// orderIds }], sweeps, statuses, sampleEvery } — one project, or every project
// of the database. The process loads the addon and makes one call (its RSS
// then, after a GC, is the baseline: "the addon loaded"), then
//
//   1. `sweeps` sweeps of getTaskExecutionStepSync over every task of the projects,
//   2. one getStepDurationStatsSync over each whole project,
//   3. getMultipleTasksExecutionStepsSync(project, { orderId, statusFilter: every
//      status }) for every order of the projects,
//
// sampling RSS every `sampleEvery` calls and right before and after each big
// call, and prints JSON on stdout: the baseline, each phase's time and RSS, the
// peak (the highest sample, and the kernel's high-water mark since the
// baseline, which also sees between samples), the end after a GC, and every sample.
'use strict'

const fs = require('node:fs')

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
if (typeof global.gc !== 'function') throw new Error('run with --expose-gc')

const MB = 2 ** 20
const rssMb = () => process.memoryUsage.rss() / MB

/**
 * The kernel's high-water mark of this process's RSS since the baseline: Linux's
 * VmHWM, reset to the current RSS at the baseline through /proc/self/clear_refs.
 * Not ru_maxrss (process.resourceUsage().maxRSS): a child starts with its
 * parent's, and the benchmark's own process is hundreds of MB by then.
 */
const highWater = {
  /** Whether the mark could be reset to now (else it is not used). */
  reset() {
    try {
      fs.writeFileSync('/proc/self/clear_refs', '5')
      return this.readMb() !== null
    } catch {
      return false
    }
  },
  readMb() {
    try {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))
      return m ? Number(m[1]) / 1024 : null
    } catch {
      return null
    }
  },
}
const heapMb = () => process.memoryUsage().heapTotal / MB
const now = () => process.hrtime.bigint()
const secondsSince = (t) => Number(now() - t) / 1e9

const addon = require('..')
const { dbPath, projects, sweeps, statuses, sampleEvery } = plan
const opts = { dbPath }
const tasks = projects.flatMap(({ project, taskIds }) => taskIds.map((id) => [project, id]))
const orders = projects.flatMap(({ project, orderIds }) => orderIds.map((id) => [project, id]))
const count = (xs) => xs.length.toLocaleString('en')

const first = addon.getTaskExecutionStepSync(...tasks[0], opts)
if (first.error) throw new Error(`${tasks[0].join('/')}: ${first.error}`)
global.gc()
const baseline = { rssMb: rssMb(), heapMb: heapMb() }
const highWaterKept = highWater.reset()

/** [calls so far, RSS in MB] */
const samples = []
let calls = 0
let peak = { rssMb: baseline.rssMb, heapMb: baseline.heapMb, phase: 'the addon loaded', calls: 0 }
let phase = null
const sample = () => {
  const rss = rssMb()
  samples.push([calls, Math.round(rss * 10) / 10])
  if (rss > peak.rssMb) peak = { rssMb: rss, heapMb: heapMb(), phase: phase.name, calls }
}
const phases = []
function run(name, body) {
  phase = { name, calls: 0 }
  const before = calls
  sample()
  const started = now()
  body()
  phase.seconds = secondsSince(started)
  phase.calls = calls - before
  sample()
  phase.rssMb = rssMb()
  phase.heapMb = heapMb()
  // The high-water mark only rises: the phase in which it reached its height is where the peak was.
  phase.highWaterMb = highWaterKept ? highWater.readMb() : null
  phases.push(phase)
}
const counted = (result) => {
  calls++
  if (calls % sampleEvery === 0) sample()
  return result
}

for (let s = 1; s <= sweeps; s++) {
  run(`sweep ${s}: single calls over all ${count(tasks)} tasks`, () => {
    let notFound = 0
    for (const [project, id] of tasks) if (counted(addon.getTaskExecutionStepSync(project, id, opts)).error) notFound++
    if (notFound) throw new Error(`${notFound} tasks not found`)
  })
}
run(projects.length === 1 ? 'getStepDurationStats over the whole project' : `getStepDurationStats over each whole project (${projects.length})`, () => {
  for (const { project } of projects) {
    const stats = counted(addon.getStepDurationStatsSync(project, opts))
    if (stats.length !== 7) throw new Error(`stats of ${stats.length} steps`)
    sample() // after every one: each is a big call
  }
})
run(`a batch per order, every status (${count(orders)} orders)`, () => {
  let answered = 0
  for (const [project, orderId] of orders) {
    answered += Object.keys(addon.getMultipleTasksExecutionStepsSync(project, { dbPath, orderId, statusFilter: statuses })).length
    calls++
    sample() // after every batch: each is a big call
  }
  if (answered !== tasks.length) throw new Error(`the order batches answered for ${answered} of ${tasks.length} tasks`)
})

global.gc()
phase = { name: 'the end, after a GC' }
sample() // a GC may itself take memory: the end is a candidate for the peak too
const end = { rssMb: rssMb(), heapMb: heapMb() }
const kernelPeakMb = highWaterKept ? highWater.readMb() : null
const peakMb = Math.max(peak.rssMb, kernelPeakMb ?? 0)
/** Where the peak was: the phase of the highest sample, unless the kernel saw higher between samples. */
const kernelPhase = phases.find((p) => p.highWaterMb >= kernelPeakMb)?.name ?? 'the final GC'
const where = kernelPeakMb > peak.rssMb ? `between samples, during ${kernelPhase}` : peak.phase
process.stdout.write(
  JSON.stringify({
    tasks: tasks.length,
    orders: orders.length,
    sweeps,
    baseline,
    phases,
    end,
    peak: { ...peak, kernelMb: kernelPeakMb, mb: peakMb, where },
    growth: { endMb: end.rssMb - baseline.rssMb, peakMb: peakMb - baseline.rssMb },
    samples,
  }) + '\n',
)
