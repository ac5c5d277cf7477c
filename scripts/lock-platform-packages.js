#!/usr/bin/env node
'use strict'
// Until a version's platform packages are on npm, `npm install` cannot resolve the
// optionalDependencies, leaves them out of package-lock.json, and `npm ci` then refuses
// the lock ("Missing: aipm-execution-steps-linux-x64-gnu@ from lock file"). This script
// writes the lock entries npm would write for them (version, optional, os/cpu/libc,
// nothing to download from): `npm ci` installs the rest and skips the unpublished
// optional package like any optional package that fails to install. Later
// `npm install`s keep the entries; once the packages are published, npm resolves them
// normally. Run after deleting package-lock.json or bumping the version:
//   node scripts/lock-platform-packages.js

const fs = require('node:fs')
const path = require('node:path')
const { platformPackages } = require('./platform-packages')

const LOCK = path.resolve(__dirname, '..', 'package-lock.json')

/** The lock entries of the platform packages, keyed as in `packages`. */
function platformLockEntries() {
  return Object.fromEntries(
    platformPackages().map(({ manifest }) => {
      const entry = { version: manifest.version, optional: true }
      for (const field of ['os', 'cpu', 'libc']) if (manifest[field]) entry[field] = manifest[field]
      return [`node_modules/${manifest.name}`, entry]
    }),
  )
}

function lockPlatformPackages() {
  const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'))
  let changed = 0
  for (const [key, entry] of Object.entries(platformLockEntries())) {
    // A resolved entry means the package is published: npm's own entry wins.
    if (lock.packages[key]?.resolved) continue
    if (JSON.stringify(lock.packages[key]) === JSON.stringify(entry)) continue
    lock.packages[key] = entry
    changed += 1
  }
  // npm keeps `packages` sorted by path.
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))))
  fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`)
  return changed
}

if (require.main === module) {
  const changed = lockPlatformPackages()
  process.stdout.write(`package-lock.json: ${changed} platform package entr${changed === 1 ? 'y' : 'ies'} written\n`)
}

module.exports = { platformLockEntries, lockPlatformPackages }
