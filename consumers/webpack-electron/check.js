'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { assertProbeReport } = require('../shared/sample-expectations')

module.exports = {
  name: 'webpack-electron',
  what: 'webpack (target electron-main, ts-loader + node-loader) bundle, run away from node_modules',
  run(ctx) {
    ctx.node([ctx.modulePath('webpack-cli/bin/cli.js'), '--config', 'webpack-electron/webpack.config.js', '--no-color'])
    const bundle = path.join(ctx.projectDir, 'webpack-electron', 'bundle')
    const binaries = fs.readdirSync(bundle).filter((f) => f.endsWith('.node'))
    assert.equal(binaries.length, 1, 'node-loader emits the binary next to the bundle')
    assert.equal(binaries[0], ctx.binaryName)

    // What electron-builder packages: the bundle folder alone, with no node_modules
    // above it to fall back on.
    const packaged = path.join(ctx.scratchDir(), 'resources', 'app')
    fs.cpSync(bundle, packaged, { recursive: true })
    const report = JSON.parse(ctx.exec(process.execPath, [path.join(packaged, 'main.js'), ctx.newUserDataDir()], { cwd: packaged }))
    assertProbeReport(report)
    const size = fs.statSync(path.join(packaged, 'main.js')).size
    return `bundle main.js ${(size / 1024).toFixed(0)} KiB + ${binaries[0]}; runs without node_modules`
  },
}
