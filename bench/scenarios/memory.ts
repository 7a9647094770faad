import { startOnly, type LoadClient } from '../load.js'
import type { AppUnderTest } from './apps-under-test.js'
import { measureRun } from './sign-in.js'

interface Heap {
  heapUsed: number
  timers: number
  handles: number
}

interface Sessions {
  count: number
  jsonBytes: number
}

/** Heap retained per started-but-never-finished sign-in (a new visitor's session holding one login record). */
export interface PendingLoginResult {
  app: string
  count: number
  heapBytesPerLogin: number
  /** Serialized session (JSON in the `MemoryStore`) per pending login. */
  sessionJsonBytesPerLogin: number
}

/** Heap before and after many sign-ins, after full collections. */
export interface HeapGrowthResult {
  app: string
  signIns: number
  startHeapBytes: number
  endHeapBytes: number
  growthPercent: number
  concurrency: number
  /** TCP connections the app opened to the provider over these back-to-back sign-ins. */
  providerConnections: number
  /** Settled heap after each fifth of the sign-ins, in bytes. */
  checkpoints: { signIns: number; heapBytes: number }[]
  timersBefore: number
  timersAfter: number
  handlesBefore: number
  handlesAfter: number
}

async function startMany(client: LoadClient, appURL: string, count: number): Promise<void> {
  let started = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (started < count) {
        started++
        await startOnly(client, appURL)
      }
    }),
  )
}

/**
 * Starts `count` sign-ins from new visitors that never come back (after a first tenth as warm-up), and measures the
 * heap they hold: the settled heap with their sessions in the store, minus the settled heap right after deleting
 * those sessions, so that code compiled or flushed on the way does not count.
 */
export async function benchPendingLogins(client: LoadClient, a: AppUnderTest, count: number): Promise<PendingLoginResult> {
  await startMany(client, a.appURL, Math.ceil(count / 10))
  await a.app.call('mark-sessions')
  const sessions0 = await a.app.call<Sessions>('sessions')
  await startMany(client, a.appURL, count)
  const sessions1 = await a.app.call<Sessions>('sessions')
  const withPending = await a.app.call<Heap>('heap')
  const dropped = await a.app.call<number>('drop-new-sessions')
  const without = await a.app.call<Heap>('heap')
  if (sessions1.count - sessions0.count !== count || dropped !== count) {
    throw new Error(`${a.name}: expected ${count} new sessions, found ${sessions1.count - sessions0.count} (${dropped} dropped)`)
  }
  return {
    app: a.name,
    count,
    heapBytesPerLogin: (withPending.heapUsed - without.heapUsed) / count,
    sessionJsonBytesPerLogin: (sessions1.jsonBytes - sessions0.jsonBytes) / count,
  }
}

/**
 * Measures the settled heap (and active timers) before `count` sign-ins by returning users and after each fifth of
 * them: records, JWKS entries and timers must not pile up. Also counts the provider connections these back-to-back
 * sign-ins opened.
 */
export async function benchHeapGrowth(
  client: LoadClient,
  a: AppUnderTest,
  sub: string,
  count: number,
  concurrency: number,
): Promise<HeapGrowthResult> {
  const before = await a.app.call<Heap>('heap')
  const checkpoints: { signIns: number; heapBytes: number }[] = []
  const step = Math.ceil(count / 5)
  let after = before
  let providerConnections = 0
  for (let done = 0; done < count; ) {
    const n = Math.min(step, count - done)
    providerConnections += (await measureRun(client, a, sub, n, concurrency, 0)).providerConnections
    done += n
    after = await a.app.call<Heap>('heap')
    checkpoints.push({ signIns: done, heapBytes: after.heapUsed })
  }
  return {
    app: a.name,
    signIns: count,
    concurrency,
    providerConnections,
    startHeapBytes: before.heapUsed,
    endHeapBytes: after.heapUsed,
    growthPercent: ((after.heapUsed - before.heapUsed) / before.heapUsed) * 100,
    checkpoints,
    timersBefore: before.timers,
    timersAfter: after.timers,
    handlesBefore: before.handles,
    handlesAfter: after.handles,
  }
}
