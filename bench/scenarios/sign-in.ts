import { runSignIns, type LoadClient } from '../load.js'
import { median, percentile } from '../stats.js'
import { addTotals, type AppName, type AppUnderTest, type ProviderTotals } from './apps-under-test.js'

/** One app's sign-ins at one concurrency in one round (the sum of its slices). */
export interface SignInRun {
  app: AppName
  concurrency: number
  round: number
  count: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  /** App-process CPU seconds (user + system) per 1,000 sign-ins. */
  cpuPer1000: number
  /** The emulator process's CPU seconds per 1,000 sign-ins. */
  emulatorCpuPer1000: number
  /** The load generator's (this process's) CPU seconds per 1,000 sign-ins. */
  loadCpuPer1000: number
  /** Share of one core the app process used during the run (1 = the app's own core was the bottleneck). */
  appBusy: number
  /** TCP connections the app opened to the provider during the run, all slices. */
  providerConnections: number
  /** The most TCP connections one slice (one stretch of continuous load) opened. */
  providerConnectionsPerSlice: number
  discovery: number
  jwks: number
}

/** Medians over the rounds for one app and concurrency (`providerConnectionsPerSlice`: the median of the rounds' most). */
export type SignInSummary = Pick<
  SignInRun,
  | 'app'
  | 'concurrency'
  | 'perSecond'
  | 'p50Ms'
  | 'p99Ms'
  | 'cpuPer1000'
  | 'emulatorCpuPer1000'
  | 'loadCpuPer1000'
  | 'appBusy'
  | 'providerConnectionsPerSlice'
>

/** Which sign-ins the rounds run. */
export interface SignInPlan {
  rounds: number
  /** Concurrency → sign-ins per app per round. */
  counts: Record<number, number>
  /**
   * Concurrency → slices a round's sign-ins are cut into. The apps take turns slice by slice, in an A B C D D C B A
   * order, so that a shared machine's drift within a round hits every app alike. Default 1.
   */
  slices?: Record<number, number>
  warmUp: number
}

/** Raw measures of one slice. */
interface Slice {
  count: number
  wallMs: number
  latencies: number[]
  appMicros: number
  emulatorMicros: number
  loadMicros: number
  providerConnections: number
  discovery: number
  jwks: number
}

/** Runs `count` sign-ins against one app and reads app, emulator and load-generator CPU and provider traffic. */
async function measureSlice(client: LoadClient, a: AppUnderTest, sub: string, count: number, concurrency: number): Promise<Slice> {
  addTotals(a.totals, await a.emulator.call<ProviderTotals>('reset'))
  const ownConnections0 = client.connectionsTo(a.emulatorURL)
  const cpu0 = await a.app.call<number>('cpu')
  const emulatorCpu0 = await a.emulator.call<number>('cpu')
  const load0 = process.cpuUsage()
  const run = await runSignIns(client, a.jars, a.appURL, sub, count, concurrency)
  const load = process.cpuUsage(load0)
  const emulatorCpu1 = await a.emulator.call<number>('cpu')
  const cpu1 = await a.app.call<number>('cpu')
  const stats = await a.emulator.call<ProviderTotals>('reset')
  addTotals(a.totals, stats)
  const providerConnections = stats.connections - (client.connectionsTo(a.emulatorURL) - ownConnections0)
  a.providerConnections += providerConnections
  return {
    count,
    wallMs: run.wallMs,
    latencies: run.latencies,
    appMicros: cpu1 - cpu0,
    emulatorMicros: emulatorCpu1 - emulatorCpu0,
    loadMicros: load.user + load.system,
    providerConnections,
    discovery: stats.discovery,
    jwks: stats.jwks,
  }
}

function toRun(app: AppName, concurrency: number, round: number, slices: Slice[]): SignInRun {
  const sum = (f: (s: Slice) => number) => slices.reduce((acc, s) => acc + f(s), 0)
  const count = sum((s) => s.count)
  const wallMs = sum((s) => s.wallMs)
  const latencies = slices.flatMap((s) => s.latencies)
  const per1000 = (micros: number) => (micros / 1e6 / count) * 1000
  return {
    app,
    concurrency,
    round,
    count,
    perSecond: (count * 1000) / wallMs,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuPer1000: per1000(sum((s) => s.appMicros)),
    emulatorCpuPer1000: per1000(sum((s) => s.emulatorMicros)),
    loadCpuPer1000: per1000(sum((s) => s.loadMicros)),
    appBusy: sum((s) => s.appMicros) / 1000 / wallMs,
    providerConnections: sum((s) => s.providerConnections),
    providerConnectionsPerSlice: Math.max(...slices.map((s) => s.providerConnections)),
    discovery: sum((s) => s.discovery),
    jwks: sum((s) => s.jwks),
  }
}

/** Runs `count` sign-ins against one app in one go and measures them. */
export async function measureRun(
  client: LoadClient,
  a: AppUnderTest,
  sub: string,
  count: number,
  concurrency: number,
  round: number,
): Promise<SignInRun> {
  return toRun(a.name, concurrency, round, [await measureSlice(client, a, sub, count, concurrency)])
}

/**
 * Warm-up, then `rounds` rounds; in each round every concurrency, and at each concurrency every app in turn, slice
 * by slice (see {@link SignInPlan.slices}); the starting order rotates each round.
 */
export async function runSignInRounds(
  client: LoadClient,
  apps: readonly AppUnderTest[],
  sub: string,
  plan: SignInPlan,
  log: (line: string) => void,
): Promise<SignInRun[]> {
  const maxConcurrency = Math.max(...Object.keys(plan.counts).map(Number))
  for (const a of apps) {
    const warm = await measureRun(client, a, sub, plan.warmUp, maxConcurrency, 0)
    log(`  warm-up ${a.name}: ${warm.perSecond.toFixed(0)}/s`)
  }
  const runs: SignInRun[] = []
  for (let round = 1; round <= plan.rounds; round++) {
    const shift = (round - 1) % apps.length
    const order = [...apps.slice(shift), ...apps.slice(0, shift)]
    for (const [concurrency, count] of Object.entries(plan.counts).map(([c, n]) => [Number(c), n] as const)) {
      const sliceCount = plan.slices?.[concurrency] ?? 1
      const slices = new Map<AppName, Slice[]>(apps.map((a) => [a.name, []]))
      for (let k = 0; k < sliceCount; k++) {
        const size = Math.floor(count / sliceCount) + (k < count % sliceCount ? 1 : 0)
        for (const a of k % 2 === 0 ? order : [...order].reverse()) {
          slices.get(a.name)!.push(await measureSlice(client, a, sub, size, concurrency))
        }
      }
      for (const a of order) {
        const run = toRun(a.name, concurrency, round, slices.get(a.name)!)
        runs.push(run)
        log(
          `  round ${round} c${concurrency} ${a.name.padEnd(8)} ${run.perSecond.toFixed(0).padStart(5)}/s ` +
            `p50 ${run.p50Ms.toFixed(1)} ms p99 ${run.p99Ms.toFixed(1)} ms cpu ${run.cpuPer1000.toFixed(2)} s/1000`,
        )
      }
    }
  }
  return runs
}

/** Medians over the rounds, per app and concurrency. */
export function summarizeSignIns(runs: readonly SignInRun[]): SignInSummary[] {
  const out: SignInSummary[] = []
  const keys = [...new Set(runs.map((r) => `${r.app}|${r.concurrency}`))]
  for (const key of keys) {
    const [app, c] = key.split('|') as [AppName, string]
    const mine = runs.filter((r) => r.app === app && r.concurrency === Number(c))
    out.push({
      app,
      concurrency: Number(c),
      perSecond: median(mine.map((r) => r.perSecond)),
      p50Ms: median(mine.map((r) => r.p50Ms)),
      p99Ms: median(mine.map((r) => r.p99Ms)),
      cpuPer1000: median(mine.map((r) => r.cpuPer1000)),
      emulatorCpuPer1000: median(mine.map((r) => r.emulatorCpuPer1000)),
      loadCpuPer1000: median(mine.map((r) => r.loadCpuPer1000)),
      appBusy: median(mine.map((r) => r.appBusy)),
      providerConnectionsPerSlice: median(mine.map((r) => r.providerConnectionsPerSlice)),
    })
  }
  return out
}
