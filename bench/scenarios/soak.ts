import { redisAvailable, startRedis, type RedisServer } from '../../test/helpers/redis-server.js'
import type { IndexEntries } from '../apps/session-index.js'
import type { LoadClient } from '../load.js'
import { leastSquaresSlope } from '../stats.js'
import { startApps, stopApps, type AppUnderTest } from './apps-under-test.js'
import { measureRun } from './sign-in.js'

/** Which session index `ours` binds sign-ins to in a soak; `none` is the control (the strategy without an index). */
export type SoakIndex = 'none' | 'memory' | 'redis'

/** What the soak runs. */
export interface SoakPlan {
  /** Measured sign-ins, after the warm-up. */
  signIns: number
  /** Returning browsers (one cookie jar each, kept across sign-ins), all signing in at once. */
  browsers: number
  /** Sign-ins between heap checkpoints. */
  checkpointEvery: number
  /**
   * Sign-ins before the first checkpoint. The app's heap rises by about 1.4 MB over its first ~1,000 sign-ins (code
   * compiled and optimized, pools and caches filled), with or without an index, and is flat afterwards.
   */
  warmUp: number
}

/** One heap checkpoint: settled heap (two full collections) and the index's entries after `signIns` measured sign-ins. */
export interface SoakCheckpoint {
  signIns: number
  heapBytes: number
  entries: IndexEntries | undefined
}

/** Many sign-ins by a few returning browsers: what the index holds at the end, and how the heap moves meanwhile. */
export interface SoakResult {
  index: SoakIndex
  signIns: number
  browsers: number
  warmUp: number
  checkpoints: SoakCheckpoint[]
  /** The index's entries after the last sign-in (`undefined` for the control). */
  entries: IndexEntries | undefined
  /** Sessions in the store with a signed-in user at the end: the live sessions. */
  liveSessions: number
  /** Every session in the store at the end. */
  storeSessions: number
  /** Least-squares slope of the settled heap over the checkpoints, in bytes per 1,000 sign-ins. */
  heapSlopePer1000: number
  /** The slope's standard error (the checkpoints' scatter around the line), in bytes per 1,000 sign-ins. */
  heapSlopeErrorPer1000: number
  /** Settled heap at the last checkpoint minus the first, in bytes. */
  heapGrowthBytes: number
  timersBefore: number
  timersAfter: number
  /** Sign-ins per second over the measured sign-ins (for orientation only: checkpoints pause the load). */
  perSecond: number
}

interface Heap {
  heapUsed: number
  timers: number
}

/**
 * Runs `plan.signIns` sign-ins of one app by `plan.browsers` returning browsers after a warm-up, reading the settled
 * heap and the index's entries every `plan.checkpointEvery` sign-ins. Each new login replaces the browser's previous
 * session (Passport regenerates it), so a index that forgets replaced sessions stays at one binding per browser.
 */
export async function runSoak(
  client: LoadClient,
  a: AppUnderTest,
  sub: string,
  index: SoakIndex,
  plan: SoakPlan,
  log: (line: string) => void,
): Promise<SoakResult> {
  const entries = () => (index === 'none' ? Promise.resolve(undefined) : a.app.call<IndexEntries>('index'))
  await measureRun(client, a, sub, plan.warmUp, plan.browsers, 0)
  const before = await a.app.call<Heap>('heap')
  const checkpoints: SoakCheckpoint[] = [{ signIns: 0, heapBytes: before.heapUsed, entries: await entries() }]
  let after = before
  let wallMs = 0
  for (let done = 0; done < plan.signIns; ) {
    const n = Math.min(plan.checkpointEvery, plan.signIns - done)
    const run = await measureRun(client, a, sub, n, plan.browsers, 0)
    wallMs += (run.count * 1000) / run.perSecond
    done += n
    const now = await entries()
    after = await a.app.call<Heap>('heap')
    checkpoints.push({ signIns: done, heapBytes: after.heapUsed, entries: now })
    log(
      `  soak ${index}: ${done} sign-ins, heap ${(after.heapUsed / 1e6).toFixed(2)} MB` +
        (now ? `, index ${now.bindings} bindings, ${now.owners} owners${now.keys === undefined ? '' : `, ${now.keys} keys`}` : ''),
    )
  }
  const sessions = await a.app.call<{ count: number; signedIn: number }>('sessions')
  const fit = leastSquaresSlope(checkpoints.map((c) => ({ x: c.signIns / 1000, y: c.heapBytes })))
  return {
    index,
    signIns: plan.signIns,
    browsers: plan.browsers,
    warmUp: plan.warmUp,
    checkpoints,
    entries: checkpoints.at(-1)!.entries,
    liveSessions: sessions.signedIn,
    storeSessions: sessions.count,
    heapSlopePer1000: fit.slope,
    heapSlopeErrorPer1000: fit.standardError,
    heapGrowthBytes: after.heapUsed - before.heapUsed,
    timersBefore: before.timers,
    timersAfter: after.timers,
    perSecond: (plan.signIns * 1000) / wallMs,
  }
}

/** Where the soak's processes run. */
export interface SoakOptions {
  appCores?: string | undefined
  idTokenAlg?: 'RS256' | 'ES256'
}

/**
 * The soak for each index in turn, each in a fresh app process with its own emulator; Redis on a throw-away
 * `redis-server` on a free loopback port. `redisSkipped` when `redis-server` is not installed.
 */
export async function benchSoak(
  client: LoadClient,
  sub: string,
  indexes: readonly SoakIndex[],
  plan: SoakPlan,
  options: SoakOptions,
  log: (line: string) => void,
): Promise<{ results: SoakResult[]; redisSkipped: boolean }> {
  const results: SoakResult[] = []
  let redisSkipped = false
  for (const index of indexes) {
    if (index === 'redis' && !redisAvailable()) {
      redisSkipped = true
      log('redis-server not found: the Redis soak is skipped (install it with apt-get install redis-server)')
      continue
    }
    log(`soak: ${plan.signIns} sign-ins by ${plan.browsers} returning browsers (session index: ${index})`)
    let redis: RedisServer | undefined
    let apps: AppUnderTest[] = []
    try {
      if (index === 'redis') redis = await startRedis()
      const sessionIndex = index === 'none' ? undefined : (redis?.url ?? 'memory')
      apps = await startApps(['ours'], sub, plan.browsers, { ...options, ...(sessionIndex && { sessionIndex }) })
      results.push(await runSoak(client, apps[0]!, sub, index, plan, log))
    } finally {
      await stopApps(apps)
      await redis?.stop()
    }
  }
  return { results, redisSkipped }
}
