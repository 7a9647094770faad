import { startWorker, type Worker } from '../child-process.js'
import { pin } from '../cpu-affinity.js'
import { CookieJar } from '../cookie-jar.js'
import type { EmulatorStats } from '../../src/emulator/index.js'

/**
 * The apps that take turns: ours, ours with the cookie login state and no sessions, the peer as shipped, the peer
 * with signature checks, the floor.
 */
export const APP_NAMES = ['ours', 'ours-cookie', 'peer', 'peer-sig', 'floor'] as const
export type AppName = (typeof APP_NAMES)[number]

/** Emulator counters (its `stats`; `connections` includes the load generator's), summed over a process's life. */
export type ProviderTotals = EmulatorStats

/** One app under test with its own emulator, each in its own process. */
export interface AppUnderTest {
  name: AppName
  emulator: Worker
  app: Worker
  emulatorURL: string
  appURL: string
  /** One browser per virtual user, kept across runs. */
  jars: CookieJar[]
  /** Emulator counters since the app started (discovery at start-up and warm-up included). */
  totals: ProviderTotals
  /** App→provider TCP connections over all measured runs and warm-up. */
  providerConnections: number
}

/** Adds one reading of the emulator's counters to an app's totals. */
export function addTotals(totals: ProviderTotals, stats: ProviderTotals): void {
  for (const key of Object.keys(totals) as (keyof ProviderTotals)[]) totals[key] += stats[key]
}

/** How {@link startApps} starts the processes. */
export interface StartAppsOptions {
  /** Extra Node flags per app (`--cpu-prof …`). */
  appFlags?: Partial<Record<AppName, string[]>>
  /** Cores each app process is pinned to (`taskset`). */
  appCores?: string | undefined
  /** What the emulators sign id_tokens with. Default `RS256`. */
  idTokenAlg?: 'RS256' | 'ES256'
  /** A session index for `ours` to bind sign-ins to: `memory`, or a `redis://` URL (see `app-process.ts`). */
  sessionIndex?: string
}

/**
 * Starts an emulator process and an app process for each app, the app pinned to `appCores` when given, and one
 * cookie jar per virtual user.
 */
export async function startApps(
  names: readonly AppName[],
  sub: string,
  maxConcurrency: number,
  options: StartAppsOptions = {},
): Promise<AppUnderTest[]> {
  const { appFlags = {}, appCores, idTokenAlg = 'RS256', sessionIndex } = options
  const apps: AppUnderTest[] = []
  for (const name of names) {
    const emulator = await startWorker('./emulator-process.ts', [sub, idTokenAlg])
    const emulatorURL = String(emulator.info.url)
    const args = [name, emulatorURL, ...(sessionIndex === undefined ? [] : [sessionIndex])]
    const app = await startWorker('./app-process.ts', args, ['--expose-gc', ...(appFlags[name] ?? [])])
    if (appCores !== undefined) pin(app.pid, appCores)
    apps.push({
      name,
      emulator,
      app,
      emulatorURL,
      appURL: String(app.info.url),
      jars: Array.from({ length: maxConcurrency }, () => new CookieJar()),
      totals: { discovery: 0, jwks: 0, authorize: 0, token: 0, userinfo: 0, connections: 0 },
      providerConnections: 0,
    })
  }
  return apps
}

/** Stops every process of the apps. */
export async function stopApps(apps: readonly AppUnderTest[]): Promise<void> {
  for (const a of apps) {
    await a.app.stop()
    await a.emulator.stop()
  }
}
