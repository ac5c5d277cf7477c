'use strict'
// The per-platform npm packages in npm/<platform>/, as npm sees them (os, cpu, libc).

const fs = require('node:fs')
const path = require('node:path')

const NPM_DIR = path.resolve(__dirname, '..', 'npm')

/** Every npm/<platform>/package.json: `{ platform, dir, manifest }`. */
function platformPackages() {
  return fs
    .readdirSync(NPM_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = path.join(NPM_DIR, entry.name)
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
      return { platform: entry.name, dir, manifest }
    })
}

/** 'glibc' or 'musl' on Linux (what npm compares `libc` against), else null. */
function hostLibc() {
  if (process.platform !== 'linux') return null
  const header = process.report.getReport().header
  return header.glibcVersionRuntime ? 'glibc' : 'musl'
}

/** The platform package npm would install on this machine, or undefined. */
function hostPlatformPackage() {
  const libc = hostLibc()
  return platformPackages().find(({ manifest }) =>
    manifest.os.includes(process.platform) &&
    manifest.cpu.includes(process.arch) &&
    (!manifest.libc || manifest.libc.includes(libc)))
}

module.exports = { NPM_DIR, platformPackages, hostPlatformPackage }
