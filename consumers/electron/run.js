#!/usr/bin/env node
'use strict'
// A real Electron loads the packed package in its main process (ci.yml, job `electron`):
//
//   node consumers/electron/run.js --electron <version>      (Linux: under xvfb-run)
//
// Packs the package with the binary built or downloaded into the repository root (npm run
// pack:local), installs the tarballs and electron@<version> (which downloads Electron) into
// a throwaway project, and runs consumers/electron/main.js as Electron's main process
// (`--no-sandbox` on Linux: CI runners have no usable setuid sandbox), then the package's
// CLI with ELECTRON_RUN_AS_NODE=1, as the app's own process would run it. Fails unless both
// answer as the sample database says.

const assert = require('node:assert/strict')
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { packLocal } = require('../../scripts/pack-local')
const expected = require('../shared/sample-expectations')

function electronVersionArg(argv) {
  const at = argv.indexOf('--electron')
  if (at === -1 || !argv[at + 1]) throw new Error('usage: node consumers/electron/run.js --electron <version|latest>')
  return argv[at + 1]
}

function npm(args, cwd) {
  // npm is npm.cmd on Windows, which only a shell runs.
  execFileSync('npm', args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' })
}

function runElectron(electron, args, env, timeoutMs = 120000) {
  const r = spawnSync(electron, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs })
  return { status: r.status, signal: r.signal, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error }
}

function main() {
  const version = electronVersionArg(process.argv.slice(2))
  const tarballs = packLocal()
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-electron-'))
  try {
    fs.writeFileSync(path.join(projectDir, 'package.json'), `${JSON.stringify({ name: 'electron-consumer', version: '1.0.0', private: true }, null, 2)}\n`)
    for (const dir of ['electron', 'shared']) fs.cpSync(path.join(__dirname, '..', dir), path.join(projectDir, dir), { recursive: true })
    npm(['install', '--no-audit', '--no-fund', tarballs.main, tarballs.platform, `electron@${version}`], projectDir)

    const electron = require(path.join(projectDir, 'node_modules', 'electron')) // the binary's path
    const installed = require(path.join(projectDir, 'node_modules', 'electron', 'package.json')).version
    const linux = process.platform === 'linux'
    if (linux && !process.env.DISPLAY) throw new Error('no DISPLAY: run under xvfb-run on Linux')

    // 1. The main process.
    const report = path.join(projectDir, 'report.json')
    const userData = fs.mkdtempSync(path.join(projectDir, 'user-data-'))
    const env = { ELECTRON_ENABLE_LOGGING: '1', NAPI_RS_NATIVE_LIBRARY_PATH: '' }
    const args = [...(linux ? ['--no-sandbox'] : []), path.join(projectDir, 'electron', 'main.js'), report, userData]
    const r = runElectron(electron, args, env)
    const result = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : null
    if (r.status !== 0 || !result || result.error) {
      throw new Error(`Electron ${installed} exited with ${r.error ? r.error.message : r.signal ?? r.status}: ${result?.error ?? r.output.slice(-3000)}`)
    }
    assert.equal(result.electron, installed)
    assert.deepEqual(result.displays, expected.RUNNING_TASK_DISPLAYS)
    assert.equal(result.bindingTarget, 'native')
    process.stdout.write(`Electron ${result.electron} (Node ${result.node}, N-API ${result.napi}, ${result.platform}) main process: ` +
      `${Object.keys(result.displays).length} running tasks as the sample says; watcher: ${result.watch.reports} reports, ` +
      `${result.watch.move} seen ${result.watch.msToSeeRecord} ms after the first, silent after close()\n`)

    // 2. The CLI in Electron's own Node (the app has no separate node.exe).
    const cli = path.join(projectDir, 'node_modules', 'aipm-execution-steps', 'bin', 'aipm-steps.js')
    const asNode = { ELECTRON_RUN_AS_NODE: '1', NAPI_RS_NATIVE_LIBRARY_PATH: '' }
    const list = runElectron(electron, [cli, 'list', expected.PROJECT, '--db', result.dbPath, '--status', 'IN_PROGRESS,REWORK', '--json'], asNode)
    assert.equal(list.status, 0, `aipm-steps list exited with ${list.status}: ${list.output}`)
    const listed = JSON.parse(list.output)
    assert.deepEqual(Object.keys(listed).sort(), Object.keys(expected.RUNNING_TASK_DISPLAYS).sort(), 'aipm-steps list')
    assert.equal(listed.TASK_1031.current_step, 'create_report', 'the CLI sees the step main.js recorded')
    const show = runElectron(electron, [cli, expected.PROJECT, 'TASK_1031', '--db', result.dbPath, '--json'], asNode)
    assert.equal(show.status, 0, `aipm-steps <project> <task> exited with ${show.status}: ${show.output}`)
    assert.equal(JSON.parse(show.output).progress_percent, 71)
    const missing = runElectron(electron, [cli, expected.PROJECT, 'TASK_9999', '--db', result.dbPath, '--json'], asNode)
    assert.equal(missing.status, 1, 'exit code 1 for a task not found')
    process.stdout.write(`Electron ${installed} as Node (ELECTRON_RUN_AS_NODE=1): aipm-steps list printed ${Object.keys(listed).length} tasks, ` +
      'show exit 0 (TASK_1031 at create_report), a missing task exit 1\n')
  } finally {
    fs.rmSync(projectDir, { recursive: true, force: true })
  }
}

try {
  main()
} catch (err) {
  process.stderr.write(`electron: FAILED — ${err.stack}\n`)
  process.exitCode = 1
}
