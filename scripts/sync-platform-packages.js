#!/usr/bin/env node
'use strict'
// Keeps the main package's references to the platform packages (npm/*) at its own
// version: `optionalDependencies` in package.json and their entries in package-lock.json.
// Run by `npm version` (after `napi version` has bumped npm/*/package.json), and by hand
// after deleting package-lock.json:  node scripts/sync-platform-packages.js
//
// Why the lock entries are written here: until a version's platform packages are on npm,
// `npm install` cannot resolve them, leaves them out of the lock, and `npm ci` then refuses
// the lock ("Missing: aipm-execution-steps-linux-x64-gnu@ from lock file"). The entries
// written are the ones npm writes for an optional package, minus the download: `npm ci`
// installs everything else and skips an unpublished platform package like any optional
// package that fails to install. Later `npm install`s keep them; once the packages are
// published, npm resolves them normally.

const fs = require('node:fs')
const path = require('node:path')
const { platformPackages } = require('./platform-packages')

const ROOT = path.resolve(__dirname, '..')
const PACKAGE_JSON = path.join(ROOT, 'package.json')
const LOCK = path.join(ROOT, 'package-lock.json')

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'))
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)
}

/** The lock entry npm would write for an optional platform package at `version` (in npm's key order). */
function lockEntry(manifest, version) {
  const entry = { version }
  if (manifest.cpu) entry.cpu = manifest.cpu
  if (manifest.libc) entry.libc = manifest.libc
  entry.optional = true
  if (manifest.os) entry.os = manifest.os
  return entry
}

/** `packages` with `key` set to `entry`; a new key goes where npm would put it (npm sorts the keys). */
function withEntry(packages, key, entry) {
  if (key in packages) return { ...packages, [key]: entry }
  const keys = Object.keys(packages)
  let at = keys.findIndex((k) => k !== '' && k.localeCompare(key, 'en') > 0)
  if (at === -1) at = keys.length
  return Object.fromEntries([...keys.slice(0, at).map((k) => [k, packages[k]]), [key, entry], ...keys.slice(at).map((k) => [k, packages[k]])])
}

function syncPlatformPackages() {
  const main = readJson(PACKAGE_JSON)
  const lock = readJson(LOCK)
  const names = platformPackages().map(({ manifest }) => manifest.name).sort()
  const manifests = new Map(platformPackages().map(({ manifest }) => [manifest.name, manifest]))

  main.optionalDependencies = Object.fromEntries(names.map((name) => [name, main.version]))
  lock.packages[''].optionalDependencies = main.optionalDependencies

  let written = 0
  for (const name of names) {
    const key = `node_modules/${name}`
    const current = lock.packages[key]
    // npm's own entry for the published package wins.
    if (current?.resolved && current.version === main.version) continue
    const entry = lockEntry(manifests.get(name), main.version)
    if (JSON.stringify(current) === JSON.stringify(entry)) continue
    lock.packages = withEntry(lock.packages, key, entry)
    written += 1
  }
  writeJson(PACKAGE_JSON, main)
  writeJson(LOCK, lock)
  return { version: main.version, written }
}

if (require.main === module) {
  const { version, written } = syncPlatformPackages()
  process.stdout.write(`platform packages at ${version}: ${written} package-lock.json entr${written === 1 ? 'y' : 'ies'} written\n`)
}

module.exports = { syncPlatformPackages }
