// Compiled with `tsc` under strict settings, then run: prints the probe report as JSON.
import { probeSample } from '../../shared/probe'

const userDataDir = process.argv[2]
if (!userDataDir) throw new Error('usage: node main.js <empty user-data folder>')

probeSample(userDataDir).then((report) => {
  process.stdout.write(`${JSON.stringify(report)}\n`)
})
