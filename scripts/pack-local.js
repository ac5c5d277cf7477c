#!/usr/bin/env node
'use strict'
// npm run pack:local — installable tarballs of this package and of the host's platform
// package (with the binary built by `npm run build`) in dist/, as `npm publish` would
// ship them. Prints the two tarball paths as JSON on the last line of stdout.
//
// The binary is copied into npm/<platform>/ only for the duration of `npm pack` and
// removed afterwards, so the committed platform folders stay binary-free as in git.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { hostPlatformPackage } = require('./platform-packages')

const ROOT = path.resolve(__dirname, '..')
const DIST = path.join(ROOT, 'dist')

/** `npm pack` of `dir` into dist/; returns the tarball's absolute path. */
function npmPack(dir) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', DIST], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [{ filename }] = JSON.parse(out)
  return path.join(DIST, filename)
}

function packLocal() {
  const platform = hostPlatformPackage()
  if (!platform) throw new Error(`no npm/ package matches this host (${process.platform}-${process.arch})`)
  const binaryName = platform.manifest.main
  const builtBinary = path.join(ROOT, binaryName)
  if (!fs.existsSync(builtBinary)) {
    throw new Error(`${binaryName} is missing: run \`npm run build\` first`)
  }

  fs.mkdirSync(DIST, { recursive: true })
  const staged = path.join(platform.dir, binaryName)
  fs.copyFileSync(builtBinary, staged)
  try {
    return { main: npmPack(ROOT), platform: npmPack(platform.dir) }
  } finally {
    fs.rmSync(staged, { force: true })
  }
}

if (require.main === module) {
  const tarballs = packLocal()
  for (const file of Object.values(tarballs)) {
    process.stderr.write(`packed ${path.relative(ROOT, file)} (${(fs.statSync(file).size / 1024).toFixed(0)} KiB)\n`)
  }
  process.stdout.write(`${JSON.stringify(tarballs)}\n`)
}

module.exports = { packLocal }
