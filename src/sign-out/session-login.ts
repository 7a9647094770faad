import type { Request } from 'express'

type LogIn = (user: unknown, options: unknown, done?: unknown) => unknown
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
  logout?: (cb: Callback) => unknown
  _userProperty?: string
  [key: string]: unknown
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function'
}

/**
 * Calls `call` with a Node-style callback and settles once: by the callback, or by the promise `call` returns
 * (Fastify's `logIn`/`logOut` return one and take no callback), or by what it throws. @internal
 */
export function fromCallback(call: (cb: Callback) => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const result = call((err) => (err ? reject(err) : resolve()))
    if (isThenable(result)) result.then(() => resolve(), reject)
  })
}

/**
 * Runs `then` once this request's coming `req.logIn()` (Passport calls it right after a strategy's `success`) has
 * succeeded with a session: after Passport 0.7 has regenerated the session, so what `then` writes lands in the
 * session the user ends up with, and never in the session of a refused login. `then`'s error fails the `logIn`.
 * Without Passport's `req.logIn` (no `passport.initialize()`), `then` runs at once.
 *
 * The wrapper returns what the original `logIn` returns: Passport's (Express) takes a callback and returns nothing;
 * `@fastify/passport`'s returns a promise its caller chains on, which then settles after `then`. @internal
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
    let ran: Promise<void> | undefined
    const runThen = (): Promise<void> => {
      ran ??= opts?.session === false || !r.session ? Promise.resolve() : new Promise((resolve, reject) => then((err) => (err ? reject(err) : resolve())))
      return ran
    }
    const result = original.call(this, user, opts, (err?: unknown) => {
      if (err) return callback?.(err)
      runThen().then(() => callback?.(), (thenErr: unknown) => callback?.(thenErr))
    })
    return isThenable(result) ? Promise.resolve(result).then(runThen) : result
  }
  r.login = r.logIn = wrapped
}

/**
 * Logs the request out and leaves it unauthenticated. First through the framework's `req.logout()` when there is one
 * (Passport's takes a callback, `@fastify/passport`'s returns a promise: both are awaited). When that is missing or
 * fails on a cookie session (Passport 0.6+ calls `save()` and `regenerate()`, which cookie-session lacks without the
 * README's shims), it clears `req.user` and drops the cookie session (`req.session = null`); a store-backed session
 * (one with `regenerate` and `destroy`: express-session, @fastify/session) is destroyed. @internal
 */
export async function logOutRequest(req: Request): Promise<void> {
  const r = req as unknown as LoginRequest
  const session = r.session
  const storeBacked = typeof session?.regenerate === 'function' && typeof session?.destroy === 'function'
  if (typeof r.logout === 'function') {
    try {
      await fromCallback((cb) => r.logout!(cb))
      return
    } catch (err) {
      if (storeBacked) throw err
    }
  }
  r[r._userProperty ?? 'user'] = null
  if (storeBacked) await fromCallback((cb) => session!.destroy!(cb))
  else if (session) r.session = null
}
