'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { assertProbeReport } = require('../shared/sample-expectations')

/** Runs webpack; returns how many warnings it reported. */
function build(ctx, extraArgs) {
  const out = ctx.node([ctx.modulePath('webpack-cli/bin/cli.js'), '--config', 'webpack-electron/webpack.config.js', '--no-color', ...extraArgs])
  const summary = out.match(/compiled (successfully|with (\d+) warnings?)/)
  assert.ok(summary, `webpack did not say it compiled:\n${out.slice(-2000)}`)
  return Number(summary[2] ?? 0)
}

/** Runs a packaged main.js the way Electron would, from its own folder; returns the report. */
function runPackaged(ctx, appDir, env = {}) {
  const out = ctx.exec(process.execPath, [path.join(appDir, 'main.js'), ctx.newUserDataDir()], { cwd: appDir, env: { ...process.env, ...env } })
  return JSON.parse(out)
}

module.exports = {
  name: 'webpack-electron',
  what: 'webpack (target electron-main, ts-loader + node-loader) bundles, bundled and with the addon external (the electron-builder layout)',
  run(ctx) {
    // 1. The app's rules as they are: the addon is bundled and node-loader emits the host's
    //    binary next to main.js, with no warning about the platforms not installed.
    const bundledWarnings = build(ctx, [])
    assert.equal(bundledWarnings, 0, 'bundling the package gives no webpack warning')
    const bundle = path.join(ctx.projectDir, 'webpack-electron', 'bundle')
    const binaries = fs.readdirSync(bundle).filter((f) => f.endsWith('.node'))
    assert.deepEqual(binaries, [ctx.binaryName], 'node-loader emits the host binary next to the bundle')
    // What electron-builder packages: the bundle folder alone, no node_modules above it.
    const bundledApp = path.join(ctx.scratchDir(), 'resources', 'app')
    fs.cpSync(bundle, bundledApp, { recursive: true })
    assertProbeReport(runPackaged(ctx, bundledApp))
    // The documented override in the bundle: the binary moved away, then named.
    const bundledRelocated = path.join(ctx.scratchDir(), ctx.binaryName)
    fs.renameSync(path.join(bundledApp, ctx.binaryName), bundledRelocated)
    assert.throws(() => runPackaged(ctx, bundledApp), /Cannot find native binding/, 'the bundled binary really was moved away')
    assertProbeReport(runPackaged(ctx, bundledApp, { NAPI_RS_NATIVE_LIBRARY_PATH: bundledRelocated }))

    // 2. With the one-line `externals` entry: no warnings, and the package loads from
    //    node_modules at run time (where electron-builder puts production dependencies),
    //    so its loader picks the right platform package and honours
    //    NAPI_RS_NATIVE_LIBRARY_PATH.
    const externalWarnings = build(ctx, ['--env', 'external-addon'])
    assert.equal(externalWarnings, 0, 'with the addon external webpack has nothing to warn about')
    const externalApp = path.join(ctx.scratchDir(), 'resources', 'app')
    fs.cpSync(path.join(ctx.projectDir, 'webpack-electron', 'bundle-external'), externalApp, { recursive: true })
    for (const pkg of ['aipm-execution-steps', ctx.platformPackageName]) {
      fs.cpSync(ctx.modulePath(pkg), path.join(externalApp, 'node_modules', pkg), { recursive: true })
    }
    assertProbeReport(runPackaged(ctx, externalApp))
    const relocated = path.join(ctx.scratchDir(), ctx.binaryName)
    fs.renameSync(path.join(externalApp, 'node_modules', ctx.platformPackageName, ctx.binaryName), relocated)
    assert.throws(() => runPackaged(ctx, externalApp), /Cannot find native binding/, 'the binary really was moved away')
    assertProbeReport(runPackaged(ctx, externalApp, { NAPI_RS_NATIVE_LIBRARY_PATH: relocated }))

    return `bundled: ${bundledWarnings} webpack warnings, runs without node_modules, NAPI_RS_NATIVE_LIBRARY_PATH honoured; ` +
      'externals: 0 warnings, runs from node_modules, NAPI_RS_NATIVE_LIBRARY_PATH honoured'
  },
}
