#!/usr/bin/env node
'use strict'
// Names the GitHub repository in every package this project publishes (package.json and
// npm/*/package.json): `repository`, `homepage`, `bugs`. npm refuses a publish with
// provenance (E422) when `repository.url` does not name the repository the workflow runs
// in, so the release's publish job runs this first and publishes nothing if it fails.
//
//   node scripts/set-repository.js           fill in what is missing from $GITHUB_REPOSITORY
//                                            (owner/name; GitHub Actions sets it), then check
//   node scripts/set-repository.js --check   check only: every package names $GITHUB_REPOSITORY
//
// The repository is never written into the committed files by hand: it comes from the
// workflow at publish time, so a fork publishes as itself. A package that already carries a
// `repository` keeps it, and the check fails unless it names the same repository.

const fs = require('node:fs')
const path = require('node:path')
const { platformPackages } = require('./platform-packages')

const ROOT = path.resolve(__dirname, '..')

/** owner/name of a GitHub URL in any of npm's spellings, lower-cased; null if not GitHub. */
function githubRepoOf(url) {
  const m = /github\.com[/:]([^/]+)\/([^/#?]+?)(\.git)?([/#?].*)?$/i.exec(String(url || ''))
  return m ? `${m[1]}/${m[2]}`.toLowerCase() : null
}

/** The fields for `repo` (owner/name) on `server`, for the package in `directory` ('' for the root). */
function fieldsFor(repo, server, directory) {
  const web = `${server.replace(/\/$/, '')}/${repo}`
  return {
    repository: { type: 'git', url: `git+${web}.git`, ...(directory ? { directory } : {}) },
    homepage: `${web}#readme`,
    bugs: { url: `${web}/issues` },
  }
}

function packageFiles() {
  return [
    { file: path.join(ROOT, 'package.json'), directory: '' },
    ...platformPackages().map(({ dir }) => ({ file: path.join(dir, 'package.json'), directory: path.relative(ROOT, dir).split(path.sep).join('/') })),
  ]
}

/** Problems of one manifest against `repo` (null: unknown, every field only has to be there). */
function problemsOf(manifest, repo) {
  const problems = []
  const url = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url
  if (!url) problems.push('no repository.url')
  else if (repo && githubRepoOf(url) !== repo.toLowerCase()) problems.push(`repository.url ${url} does not name ${repo}`)
  if (!manifest.homepage) problems.push('no homepage')
  if (!manifest.bugs) problems.push('no bugs')
  return problems
}

/** Fills (unless checkOnly) and checks every package; returns `{ filled, problems }`. */
function setRepository({ repo = process.env.GITHUB_REPOSITORY, server = process.env.GITHUB_SERVER_URL || 'https://github.com', checkOnly = false } = {}) {
  if (repo && !/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`GITHUB_REPOSITORY=${repo} is not owner/name`)
  const filled = []
  const problems = []
  for (const { file, directory } of packageFiles()) {
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'))
    const where = path.relative(ROOT, file)
    if (!checkOnly && repo) {
      const fields = fieldsFor(repo, server, directory)
      const missing = Object.keys(fields).filter((key) => manifest[key] === undefined)
      for (const key of missing) manifest[key] = fields[key]
      if (missing.length > 0) {
        fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`)
        filled.push(`${where}: ${missing.join(', ')}`)
      }
    }
    for (const problem of problemsOf(manifest, repo)) problems.push(`${where}: ${problem}`)
  }
  if (!repo) problems.unshift('GITHUB_REPOSITORY is not set (owner/name of the repository the release runs in)')
  return { filled, problems }
}

if (require.main === module) {
  const { filled, problems } = setRepository({ checkOnly: process.argv.includes('--check') })
  for (const line of filled) process.stdout.write(`set ${line}\n`)
  if (problems.length > 0) {
    process.stderr.write(`set-repository: refusing to publish:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`)
    process.exitCode = 1
  } else {
    process.stdout.write(`every package names ${process.env.GITHUB_REPOSITORY} (repository, homepage, bugs)\n`)
  }
}

module.exports = { setRepository, githubRepoOf, fieldsFor }
