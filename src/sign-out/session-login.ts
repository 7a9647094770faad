import type { Request } from 'express'

type LogIn = (user: unknown, options: unknown, done?: unknown) => void
type Callback = (err?: unknown) => void

interface SessionLike {
  [key: string]: unknown
  regenerate?: (cb: Callback) => void
  destroy?: (cb: Callback) => void
}

interface LoginRequest {
  session?: SessionLike | null
  logIn?: LogIn
  login?: LogIn
  logout?: (cb: Callback) => void
  _userProperty?: string
  [key: string]: unknown
}

/** Turns a Node-style callback call into a promise. @internal */
export function fromCallback(call: (cb: Callback) => void): Promise<void> {
  return new Promise((resolve, reject) => call((err) => (err ? reject(err) : resolve())))
}

/**
 * Runs `then` once this request's coming `req.logIn()` (Passport calls it right after a strategy's `success`) has
 * succeeded with a session: after Passport 0.7 has regenerated the session, so what `then` writes lands in the
 * session the user ends up with, and never in the session of a refused login. `then`'s error fails the `logIn`.
 * Without Passport's `req.logIn` (no `passport.initialize()`), `then` runs at once. @internal
 */
export function afterLogIn(req: Request, then: (done: Callback) => void): void {
  const r = req as unknown as LoginRequest
  const original = r.logIn
  if (typeof original !== 'function') {
    then(() => undefined)
    return
  }
  const wrapped: LogIn = function (this: unknown, user, options, done) {
    let opts = options as { session?: boolean } | undefined
    let callback = done as Callback | undefined
    if (typeof options === 'function') {
      callback = options as Callback
      opts = {}
    }
    r.login = r.logIn = original
    original.call(this, user, opts, (err?: unknown) => {
      if (err || opts?.session === false || !r.session) return callback?.(err)
      then((thenErr) => callback?.(thenErr))
    })
  }
  r.login = r.logIn = wrapped
}

/**
 * Logs the request out and leaves it unauthenticated: with a store-backed session (express-session) through
 * Passport's `req.logout()` when present, else `session.destroy()`; with a cookie session (no `regenerate`, which
 * Passport 0.7's `logout` needs) by `req.session = null` and clearing `req.user`. @internal
 */
export async function logOutRequest(req: Request): Promise<void> {
  const r = req as unknown as LoginRequest
  const session = r.session
  const storeBacked = typeof session?.regenerate === 'function' && typeof session?.destroy === 'function'
  if (storeBacked && typeof r.logout === 'function') {
    await fromCallback((cb) => r.logout!(cb))
    return
  }
  r[r._userProperty ?? 'user'] = null
  if (storeBacked) await fromCallback((cb) => session!.destroy!(cb))
  else if (session) r.session = null
}
