/**
 * `npm run bench`: sign-in cost of ours, openid-client's strategy and a hand-written floor side by side, provider
 * traffic, id_token verification, memory, revoke and a soak of the session index. Prints Markdown tables on stdout
 * (progress on stderr) and writes `bench/results.json`.
 *
 * Flags: `--quick` (small counts, for trying the script), `--only=sign-in,verify,memory,revoke,cold-start,soak`,
 * `--profile=<ours|ours-cookie|peer|peer-sig|floor>` (runs that app under `node --cpu-prof` and prints where its time went),
 * `--no-pin` (do not give the app under test a core of its own), `--alg=ES256` (the emulator signs id_tokens with
 * ES256 instead of RS256).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { cpus, platform, arch, release, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_USERS } from '../src/emulator/index.js'
import { pin, planPinning, unpin } from './cpu-affinity.js'
import { mainThreadProfile, summarizeProfile, type ProfileSummary } from './cpu-profile.js'
import { LoadClient } from './load.js'
import { renderReport } from './report.js'
import type { BenchPlan, BenchResults, ProviderRow } from './results.js'
import { benchHeapGrowth, benchPendingLogins, type HeapGrowthResult, type PendingLoginResult } from './scenarios/memory.js'
import { benchMemoryRevoke, benchRedisRevoke, type RevokeComparison } from './scenarios/revoke.js'
import { APP_NAMES, startApps, stopApps, type AppName, type AppUnderTest } from './scenarios/apps-under-test.js'
import { runSignInRounds, summarizeSignIns, type SignInRun, type SignInSummary } from './scenarios/sign-in.js'
import { benchVerify, type VerifyResult } from './scenarios/verify.js'
import { benchColdStart, renderColdStart, type ColdStartResult } from './scenarios/cold-start.js'
import { benchSoak, type SoakResult } from './scenarios/soak.js'
import { checkTargets } from './targets.js'

const args = process.argv.slice(2)
const flag = (name: string) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split('=')[1]
const quick = args.includes('--quick')
const only = new Set((flag('only') ?? 'sign-in,verify,memory,revoke,cold-start,soak').split(','))
const profiled = flag('profile') as AppName | undefined
if (profiled !== undefined && !APP_NAMES.includes(profiled)) throw new Error(`--profile must name one of ${APP_NAMES.join(', ')}`)

const plan: BenchPlan = {
  signIn: {
    rounds: quick ? 3 : 5,
    counts: quick ? { 1: 100, 32: 300 } : { 1: 300, 32: 800 },
    slices: quick ? { 1: 4, 32: 2 } : { 1: 6, 32: 2 },
    warmUp: quick ? 200 : 500,
  },
  heapSignIns: quick ? 2000 : 10_000,
  pendingLogins: quick ? 500 : 2000,
  verify: { iterations: quick ? 1000 : 4000, rounds: quick ? 3 : 5 },
  revoke: { sizes: [1000, 10_000, 100_000], revokes: quick ? 300 : 1000, rounds: quick ? 3 : 5 },
  soak: quick
    ? { signIns: 2000, browsers: 16, checkpointEvery: 250, warmUp: 1000 }
    : { signIns: 30_000, browsers: 16, checkpointEvery: 1000, warmUp: 2000 },
}
const pinning = args.includes('--no-pin') ? undefined : planPinning()
const idTokenAlg = (flag('alg') ?? 'RS256') as 'RS256' | 'ES256'
if (idTokenAlg !== 'RS256' && idTokenAlg !== 'ES256') throw new Error('--alg must be RS256 or ES256')
const sub = DEFAULT_USERS[0]!.sub
const log = (line: string) => process.stderr.write(`${line}\n`)

const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  os: `${platform()} ${release()} ${arch()}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
}
log(`machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${machine.os}`)
log(pinning ? `pinning: apps on core ${pinning.app}, load generator and emulators on ${pinning.rest}` : 'pinning: off')

let runs: SignInRun[] = []
let summary: SignInSummary[] = []
let apps: AppUnderTest[] = []
let heap: HeapGrowthResult | undefined
const pending: PendingLoginResult[] = []
let profile: ProfileSummary | undefined
const verify: VerifyResult[] = []
const revoke: RevokeComparison[] = []
let redisSkipped = false

if (only.has('sign-in') || only.has('memory')) {
  const client = new LoadClient()
  const profileDir = profiled === undefined ? undefined : mkdtempSync(join(tmpdir(), 'freedom-id-bench-prof-'))
  const appFlags = profiled === undefined ? {} : { [profiled]: ['--cpu-prof', '--cpu-prof-dir', profileDir!] }
  if (pinning) pin(process.pid, pinning.rest)
  const maxConcurrency = Math.max(...Object.keys(plan.signIn.counts).map(Number))
  apps = await startApps(APP_NAMES, sub, maxConcurrency, { appFlags, appCores: pinning?.app, idTokenAlg })
  try {
    if (only.has('sign-in')) {
      log('full sign-in (warm-up, then rounds; apps take turns)')
      runs = await runSignInRounds(client, apps, sub, plan.signIn, log)
      summary = summarizeSignIns(runs)
    }
    if (only.has('memory')) {
      const ours = apps.find((a) => a.name === 'ours')!
      log(`memory: heap before and after ${plan.heapSignIns} sign-ins (ours)`)
      heap = await benchHeapGrowth(client, ours, sub, plan.heapSignIns, 32)
      for (const a of apps) {
        log(`memory: ${plan.pendingLogins} pending logins (${a.name})`)
        pending.push(await benchPendingLogins(client, a, plan.pendingLogins))
      }
    }
  } finally {
    await stopApps(apps)
    await client.close()
    if (pinning) unpin(process.pid)
  }
  if (profileDir !== undefined) {
    const file = mainThreadProfile(profileDir)
    if (file !== undefined) {
      profile = summarizeProfile(file)
      log(`cpu profile of ${profiled}: ${file}`)
    }
  }
}

if (only.has('verify')) {
  for (const alg of ['RS256', 'ES256'] as const) {
    log(`id_token verification: ${alg}`)
    verify.push(await benchVerify(alg, plan.verify.iterations, plan.verify.rounds))
  }
}

if (only.has('revoke')) {
  log('revoke: MemorySessionIndex')
  revoke.push(...(await benchMemoryRevoke(plan.revoke)))
  log('revoke: RedisSessionIndex')
  const redis = await benchRedisRevoke(plan.revoke)
  if (redis) revoke.push(...redis)
  else {
    redisSkipped = true
    log('redis-server not found: Redis revoke skipped (install it with apt-get install redis-server)')
  }
}

let soak: { results: SoakResult[]; redisSkipped: boolean } = { results: [], redisSkipped: false }
if (only.has('soak')) {
  const client = new LoadClient()
  if (pinning) pin(process.pid, pinning.rest)
  try {
    soak = await benchSoak(client, sub, ['none', 'memory', 'redis'], plan.soak, { appCores: pinning?.app, idTokenAlg }, log)
  } finally {
    await client.close()
    if (pinning) unpin(process.pid)
  }
}

let coldStart: ColdStartResult | undefined
if (only.has('cold-start')) coldStart = await benchColdStart(quick ? 5 : 15, log)

const provider: ProviderRow[] = apps.map((a) => ({ app: a.name, ...a.totals, providerConnections: a.providerConnections }))
const results: BenchResults = {
  generatedAt: new Date().toISOString(),
  machine,
  pinning: pinning ?? null,
  idTokenAlg,
  quick,
  plan,
  signIn: { summary, runs },
  provider,
  verify,
  memory: { pending, heap },
  revoke,
  redisSkipped,
  soak,
  profile: profile && profiled ? { app: profiled, summary: profile } : undefined,
  targets: checkTargets({ runs, summary, provider, heap, revoke, soak: soak.results }),
  coldStart,
}
process.stdout.write(`${renderReport(results)}\n`)
if (coldStart) process.stdout.write(`\n${renderColdStart(coldStart)}\n`)

const resultsPath = fileURLToPath(new URL('./results.json', import.meta.url))
writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`)
log(`wrote ${resultsPath}`)
