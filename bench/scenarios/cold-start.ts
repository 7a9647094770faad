import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** One thing imported in a fresh process: its CPU time and how many modules it loaded. */
export interface ColdStartRow {
  name: string
  /** Median CPU (user + system) spent in the import itself, in ms, over the rounds. */
  cpuMs: number
  /** Modules loaded by the import: CommonJS (require.cache) plus ES modules. */
  modules: number
}

/** Cold start of the main entry against its runtime dependencies alone; `ratio` is the first over the second. */
export interface ColdStartResult {
  rounds: number
  rows: ColdStartRow[]
  ratio: number
  /** The target: the main entry within 1.2× its dependencies. */
  target: number
}

/**
 * The CPU a fresh Node process spends in `await import(…)` of each target, one child process per round (so nothing is
 * cached between rounds); the median over the rounds. Imports the built `dist/`, as a user gets it, building it
 * first if it is missing.
 */
export async function benchColdStart(rounds: number, log: (line: string) => void): Promise<ColdStartResult> {
  if (!existsSync(`${ROOT}dist/index.js`)) {
    log('cold start: building dist/')
    await run('npm', ['run', '-s', 'build'], { cwd: ROOT })
  }
  const deps = Object.keys(JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).dependencies as Record<string, string>)
  const targets: Array<[string, string[]]> = [
    ['main entry (dist/index.js)', [`${ROOT}dist/index.js`]],
    [`its dependencies alone (${deps.join(', ')})`, deps],
    ['main entry + express (what importing express costs)', [`${ROOT}dist/index.js`, 'express']],
  ]
  const rows: ColdStartRow[] = []
  for (const [name, specifiers] of targets) {
    log(`cold start: ${name}`)
    const samples: Array<{ cpu: number; modules: number }> = []
    for (let i = 0; i < rounds; i++) samples.push(await importOnce(specifiers))
    const cpu = samples.map((s) => s.cpu).sort((a, b) => a - b)
    rows.push({ name, cpuMs: round(cpu[Math.floor(cpu.length / 2)]!), modules: samples[0]!.modules })
  }
  return { rounds, rows, ratio: round(rows[0]!.cpuMs / rows[1]!.cpuMs), target: 1.2 }
}

const CHILD = `
import { createRequire, register } from 'node:module'
let esm = 0
const { port1, port2 } = new MessageChannel()
port1.on('message', () => esm++)
port1.unref()
register('data:text/javascript,' + encodeURIComponent(\`
  let port
  export function initialize(data) { port = data.port }
  export async function load(url, context, next) { port.postMessage(1); return next(url, context) }\`),
  { data: { port: port2 }, transferList: [port2] })
const specifiers = JSON.parse(process.argv[1])
const before = process.cpuUsage()
for (const s of specifiers) await import(s)
const used = process.cpuUsage(before)
await new Promise((r) => setTimeout(r, 20))
const cjs = Object.keys(createRequire(import.meta.url).cache).length
console.log(JSON.stringify({ cpu: (used.user + used.system) / 1000, modules: cjs + esm }))
`

async function importOnce(specifiers: string[]): Promise<{ cpu: number; modules: number }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(specifiers)], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  return JSON.parse(stdout.trim().split('\n').pop()!) as { cpu: number; modules: number }
}

const round = (n: number) => Math.round(n * 100) / 100

/** The Markdown table `npm run bench` prints. */
export function renderColdStart(result: ColdStartResult): string {
  const lines = [
    `#### Cold start (CPU ms of \`await import()\` in a fresh process, median of ${result.rounds})`,
    '',
    '| import | CPU ms | modules loaded |',
    '|---|---:|---:|',
    ...result.rows.map((r) => `| ${r.name} | ${r.cpuMs} | ${r.modules} |`),
    '',
    `Main entry / dependencies alone: **${result.ratio}×** (target ≤ ${result.target}×: ${result.ratio <= result.target ? 'met' : 'missed'}).`,
  ]
  return lines.join('\n')
}
