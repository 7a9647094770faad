#!/usr/bin/env node
/**
 * `npm run mutate [-- MODULE ...] [--concurrency N] [--incremental]`: runs Stryker once per module of
 * mutation/modules.mjs (all of them by default), each against its own test files, then prints each module's score and
 * its surviving mutants and writes them to reports/mutation/summary.md. Exits 1 when a module scores below 90%.
 * `--incremental` reuses a module's previous results (reports/mutation/NAME.incremental.json) for the mutants whose
 * code and covering tests did not change, so a re-run after adding a test is quick; but it does not re-test static
 * mutants (module-level constants such as a regular expression) against new tests, so record scores from full runs.
 *
 * Stryker 10 needs Node 22 or later; on an older Node this script runs itself again under Node 22 through npx.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MODULES } from './modules.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const THRESHOLD = 90
const REPORTS = join(ROOT, 'reports', 'mutation')

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.log(`Node ${process.versions.node}: running Stryker under Node 22 through npx`)
  const again = spawnSync('npx', ['-y', '-p', 'node@22', 'node', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: ROOT,
  })
  process.exit(again.status ?? 1)
}

const args = process.argv.slice(2)
let concurrency = process.env.MUTATE_CONCURRENCY ?? '2'
let incremental = false
const names = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--concurrency') concurrency = args[++i]
  else if (args[i] === '--incremental') incremental = true
  else names.push(args[i])
}
const unknown = names.filter((n) => !Object.hasOwn(MODULES, n))
if (unknown.length > 0) {
  console.error(`Unknown module ${unknown.join(', ')}; the modules are: ${Object.keys(MODULES).join(', ')}`)
  process.exit(2)
}
const chosen = names.length > 0 ? names : Object.keys(MODULES)
const git = (...a) => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout.trim()
const commit = git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--', 'src', 'test') ? ' (modified)' : '')

mkdirSync(REPORTS, { recursive: true })
const results = []
for (const name of chosen) {
  console.log(`\n=== ${name}: mutating ${MODULES[name].mutate.join(', ')} (commit ${commit}) ===`)
  const started = Date.now()
  rmSync(join(REPORTS, `${name}.json`), { force: true })
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js'),
      'run',
      'mutation/stryker.config.mjs',
      // Always written, so that a later --incremental run can start from this one.
      '--incremental',
      '--incrementalFile',
      `reports/mutation/${name}.incremental.json`,
      ...(incremental ? [] : ['--force']),
    ],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, MUTATE_MODULE: name, MUTATE_CONCURRENCY: concurrency } },
  )
  const minutes = ((Date.now() - started) / 60_000).toFixed(1)
  let report
  try {
    report = JSON.parse(readFileSync(join(REPORTS, `${name}.json`), 'utf8'))
  } catch {
    results.push({ name, error: `Stryker exited with ${run.status} and wrote no report`, minutes })
    continue
  }
  results.push({ name, minutes, ...summarise(report) })
}

const lines = [
  `Mutation scores at commit ${commit}, ${new Date().toISOString().slice(0, 16)}Z`,
  '',
  '| module | score | killed | timed out | survived | no coverage | ignored | minutes |',
  '|---|---|---|---|---|---|---|---|',
]
for (const r of results) {
  if (r.error) lines.push(`| ${r.name} | ${r.error} | | | | | | ${r.minutes} |`)
  else {
    const c = r.counts
    lines.push(
      `| ${r.name} | ${r.score.toFixed(1)}% | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.Ignored} | ${r.minutes} |`,
    )
  }
}
for (const r of results.filter((x) => x.survivors?.length)) {
  lines.push('', `Survivors in ${r.name}:`, ...r.survivors.map((s) => `- ${s}`))
}
const text = lines.join('\n') + '\n'
writeFileSync(join(REPORTS, 'summary.md'), text)
console.log(`\n${text}\nHTML reports: ${relative(process.cwd(), REPORTS)}/<module>.html`)
process.exit(results.every((r) => !r.error && r.score >= THRESHOLD) ? 0 : 1)

/** Counts by status and the survivors of a mutation-testing-report-schema JSON report. */
function summarise(report) {
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, CompileError: 0, RuntimeError: 0 }
  const survivors = []
  for (const [file, { mutants, source }] of Object.entries(report.files)) {
    const lines = source.split('\n')
    for (const m of mutants) {
      counts[m.status] = (counts[m.status] ?? 0) + 1
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        const { start, end } = m.location
        const original =
          start.line === end.line ? lines[start.line - 1].slice(start.column - 1, end.column - 1) : `${lines[start.line - 1].slice(start.column - 1)}…`
        const replacement = (m.replacement ?? '').replace(/\s+/g, ' ')
        survivors.push(
          `${m.status === 'NoCoverage' ? '(no coverage) ' : ''}${file}:${start.line}:${start.column} ${m.mutatorName}: \`${original.replace(/\s+/g, ' ').slice(0, 80)}\` → \`${replacement.slice(0, 80)}\``,
        )
      }
    }
  }
  const detected = counts.Killed + counts.Timeout
  const valid = detected + counts.Survived + counts.NoCoverage
  return { counts, survivors, score: valid === 0 ? 100 : (100 * detected) / valid }
}
