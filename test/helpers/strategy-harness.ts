import type { Request } from 'express'
import type { Strategy } from 'passport'

/** What a strategy run ended with, as Passport would see it. */
export type Outcome =
  | { type: 'redirect'; url: string; status?: number }
  | { type: 'success'; user: unknown; info: Record<string, unknown> }
  | { type: 'fail'; challenge: { message?: string; code?: string } & Record<string, unknown>; status?: number }
  | { type: 'error'; error: Error & { code?: string; status?: number } }
  | { type: 'pass' }

/** A minimal session like express-session's: a plain object with `save()`, which counts its calls. */
export interface FakeSession extends Record<string, unknown> {
  save(cb: (err?: unknown) => void): void
}

export function fakeSession(): FakeSession & { saves: number } {
  const session = {
    saves: 0,
    save(cb: (err?: unknown) => void) {
      session.saves += 1
      setImmediate(cb)
    },
  }
  return session as FakeSession & { saves: number }
}

export interface FakeRequestInit {
  url?: string
  query?: Record<string, unknown>
  session?: Record<string, unknown> | null
  headers?: Record<string, string>
  protocol?: string
  host?: string
}

/** A request object with what the strategy reads: `query`, `session`, `headers`, `url`, Express's `protocol` and `host`. */
export function fakeRequest(init: FakeRequestInit = {}): Request {
  const url = init.url ?? '/auth/freedom-id'
  const query = init.query ?? Object.fromEntries(new URL(url, 'http://app.test').searchParams)
  return {
    url,
    query,
    session: init.session === undefined ? fakeSession() : init.session,
    headers: { host: init.host ?? 'app.test', ...init.headers },
    app: {},
    protocol: init.protocol ?? 'http',
    host: init.host ?? 'app.test',
    socket: {},
  } as unknown as Request
}

/**
 * Runs `strategy.authenticate(req, options)` the way Passport does (on `Object.create(strategy)` with the action
 * methods attached) and resolves with the first action it takes.
 */
export function run(strategy: Strategy, req: Request, options: Record<string, unknown> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = Object.create(strategy) as Strategy & Record<string, unknown>
    s.redirect = (url: string, status?: number) => resolve({ type: 'redirect', url, ...(status && { status }) })
    s.success = (user: unknown, info?: Record<string, unknown>) => resolve({ type: 'success', user, info: info ?? {} })
    s.fail = (challenge: unknown, status?: number) =>
      resolve({ type: 'fail', challenge: (typeof challenge === 'string' ? { message: challenge } : challenge) as never, ...(status && { status }) })
    s.error = (error: Error) => resolve({ type: 'error', error })
    s.pass = () => resolve({ type: 'pass' })
    ;(s.authenticate as (req: Request, options: Record<string, unknown>) => void)(req, options)
  })
}

/** The query parameters of a redirect outcome. */
export function redirectParams(outcome: Outcome): URLSearchParams {
  if (outcome.type !== 'redirect') throw new Error(`expected a redirect, got ${outcome.type}: ${JSON.stringify(outcome)}`)
  return new URL(outcome.url).searchParams
}
