import { performance } from 'node:perf_hooks'
import { Agent, request, type Dispatcher } from 'undici'
import { CookieJar } from './cookie-jar.js'

/**
 * The load generator's HTTP side: undici `request` on one keep-alive `Agent`, counting the TCP connections it opens
 * per origin (so they can be told apart from the app's own connections to the emulator).
 */
export class LoadClient {
  readonly agent = new Agent({ keepAliveTimeout: 4_000, connections: 256 })
  readonly connections = new Map<string, number>()

  constructor() {
    this.agent.on('connect', (origin) => {
      const key = new URL(origin).origin
      this.connections.set(key, (this.connections.get(key) ?? 0) + 1)
    })
  }

  connectionsTo(origin: string): number {
    return this.connections.get(new URL(origin).origin) ?? 0
  }

  /** One GET with the jar's cookies; stores the answer's cookies; returns status, location and body text. */
  async get(url: URL, jar: CookieJar): Promise<{ status: number; location: URL | undefined; text: string }> {
    const cookie = jar.header(url)
    const res: Dispatcher.ResponseData = await request(url, {
      dispatcher: this.agent,
      headers: cookie === undefined ? {} : { cookie },
    })
    jar.store(url, res.headers['set-cookie'])
    const text = await res.body.text()
    const location = res.headers.location
    return { status: res.statusCode, location: typeof location === 'string' ? new URL(location, url) : undefined, text }
  }

  close(): Promise<void> {
    return this.agent.close()
  }
}

/**
 * One whole sign-in as a browser does it: `GET /login` → 302 to the emulator → `GET /openid` (automatic sign-in) →
 * 302 to the callback → `GET /callback` → 200 with the user id. Throws when any step answers otherwise.
 */
export async function signIn(client: LoadClient, jar: CookieJar, appURL: string, expectedSub: string): Promise<void> {
  const start = await client.get(new URL('/login', appURL), jar)
  if (start.status !== 302 || !start.location) throw new Error(`GET /login answered ${start.status}: ${start.text.slice(0, 200)}`)
  const authorize = await client.get(start.location, jar)
  if (authorize.status !== 302 || !authorize.location) {
    throw new Error(`GET ${start.location.pathname} answered ${authorize.status}: ${authorize.text.slice(0, 200)}`)
  }
  const callback = await client.get(authorize.location, jar)
  if (callback.status !== 200 || callback.text !== expectedSub) {
    throw new Error(`GET /callback answered ${callback.status}: ${callback.text.slice(0, 300)}`)
  }
}

/** Only the first step: a new visitor starts a sign-in and never comes back (a pending login record). */
export async function startOnly(client: LoadClient, appURL: string): Promise<void> {
  const start = await client.get(new URL('/login', appURL), new CookieJar())
  if (start.status !== 302) throw new Error(`GET /login answered ${start.status}`)
}

/** What a run of sign-ins measured. */
export interface LoadRun {
  count: number
  wallMs: number
  /** Milliseconds per sign-in, in completion order. */
  latencies: number[]
}

/**
 * Runs `count` sign-ins with `concurrency` virtual users, each a browser with its own cookie jar (`jars[i]`, kept
 * across runs: a returning user whose old session Passport's regenerate replaces).
 */
export async function runSignIns(
  client: LoadClient,
  jars: CookieJar[],
  appURL: string,
  expectedSub: string,
  count: number,
  concurrency: number,
): Promise<LoadRun> {
  if (jars.length < concurrency) throw new Error('one cookie jar per virtual user')
  const latencies: number[] = []
  let started = 0
  const t0 = performance.now()
  const user = async (jar: CookieJar): Promise<void> => {
    while (started < count) {
      started++
      const s = performance.now()
      await signIn(client, jar, appURL, expectedSub)
      latencies.push(performance.now() - s)
    }
  }
  await Promise.all(jars.slice(0, concurrency).map(user))
  return { count, wallMs: performance.now() - t0, latencies }
}
