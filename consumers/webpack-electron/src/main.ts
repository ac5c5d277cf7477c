// An Electron main-process entry, bundled by webpack (target electron-main). Electron
// itself cannot be installed here, so the bundle is run with plain Node: it does what
// the app's main process does at start-up and prints the probe report.
import { probeSample } from '../../shared/probe'

const userDataDir = process.argv[2]
if (!userDataDir) throw new Error('usage: node main.js <empty user-data folder>')

probeSample(userDataDir).then((report) => {
  process.stdout.write(`${JSON.stringify(report)}\n`)
})
