// The app's main process as far as the addon goes: at start-up it opens a window and asks
// the addon, the way ScriptExecutionService does (../shared/, copied from consumers/shared),
// for the steps of the sample database's tasks. Packaged by Electron Forge, then run from
// the packaged output by consumers/electron-forge/check.js — with Node and a stand-in
// `electron` module on Linux, with Windows Node under Wine for the win32-x64 package.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { app, BrowserWindow } from 'electron'
import { __napiBindingTarget, getTaskExecutionStep } from 'aipm-execution-steps'
import { probeSample } from './shared/probe'

declare const MAIN_WINDOW_WEBPACK_ENTRY: string
declare const MAIN_WINDOW_PRELOAD_WEBPACK_ENTRY: string

/** The report goes to $AIPM_FORGE_REPORT (Windows Node under Wine cannot write to a pipe). */
function report(value: unknown): void {
  const text = `${JSON.stringify(value)}\n`
  if (process.env.AIPM_FORGE_REPORT) fs.writeFileSync(process.env.AIPM_FORGE_REPORT, text)
  else process.stdout.write(text)
}

/** The .node file the process loaded (the addon's, wherever packaging put it). */
function loadedBinaries(): string[] {
  const shared = (process.report?.getReport() as { sharedObjects?: string[] } | undefined)?.sharedObjects ?? []
  return shared.filter((file) => /\.node$/i.test(file))
}

async function start(): Promise<void> {
  const window = new BrowserWindow({ width: 800, height: 600, webPreferences: { preload: MAIN_WINDOW_PRELOAD_WEBPACK_ENTRY } })
  await window.loadURL(MAIN_WINDOW_WEBPACK_ENTRY)
  const userDataDir = app.getPath('userData')
  const probe = await probeSample(userDataDir)
  // What ScriptExecutionService.getTaskExecutionSteps reads: steps[].{step, display, status}.
  const verbose = await getTaskExecutionStep('ai_pm_manager', 'TASK_1031', { dbPath: path.join(userDataDir, 'data', 'aipm.db'), verbose: true })
  report({
    probe,
    steps: (verbose.steps ?? []).map(({ step, display, status }) => ({ step, display, status })),
    bindingTarget: __napiBindingTarget,
    binaries: loadedBinaries(),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  })
}

app.whenReady().then(start).then(
  () => app.exit(0),
  (err: Error) => {
    report({ error: String(err && err.stack ? err.stack : err) })
    app.exit(1)
  },
)
