// The calibration of the estimate of issue 20 on one database, in a process of
// its own (so that nothing another part did is in the addon's caches, and the
// cache budget set here stays here):
//
//   node bench/calibration.js <dbPath> <project> [budgetMb]
//
// Calls getEstimateCalibrationSync(project, { dbPath }) — each of the project's
// finished runs (worker logs, review logs, recorded runs) left out in turn and
// estimated from the others — twice: the first call gathers the logs, the
// second finds them gathered (for 30 s). With `budgetMb`, setCacheBudget(budgetMb)
// first; without, the app's default budget. Prints JSON on stdout: the budget,
// both calls' times and the first call's answer.
'use strict'

const addon = require('..')

const [dbPath, project, budget] = process.argv.slice(2)
if (!dbPath || !project) {
  console.error('usage: node bench/calibration.js <dbPath> <project> [budgetMb]')
  process.exit(2)
}
if (budget) addon.setCacheBudget(Number(budget))

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6
let t = process.hrtime.bigint()
const kinds = addon.getEstimateCalibrationSync(project, { dbPath })
const firstMs = ms(t)
t = process.hrtime.bigint()
addon.getEstimateCalibrationSync(project, { dbPath })
const secondMs = ms(t)
process.stdout.write(`${JSON.stringify({ budgetMb: budget ? Number(budget) : null, firstMs, secondMs, kinds })}\n`)
