import type { Request } from 'express'
import { debuglog } from 'node:util'
import type { SessionBinder } from './options.js'
import { SESSION_TOKEN_ID_KEY } from './session-index/types.js'

const debug = debuglog('freedom-id')

type LogIn = (user: unknown, options: unknown, done?: unknown) => void
type BindableRequest = Request & {
  logIn?: LogIn
  login?: LogIn
  sessionID?: string
  session?: (Record<string, unknown> & { cookie?: { maxAge?: number | null } }) | null
}

/**
 * Arranges for this request's coming `req.logIn()` (Passport calls it right after the strategy's `success`) to bind
 * the login's token id to the session the login ends in: its final id, after Passport 0.7 has regenerated it. The
 * token id also goes into the session under {@link SESSION_TOKEN_ID_KEY} for the revoke guard. The binding lives as
 * long as the session cookie (`maxAge`), else the index's `ttl`.
 *
 * A failed bind fails the `logIn` with its error: a session that provider sign-out could not end is not handed out.
 */
export function bindSessionOnLogIn(req: Request, index: SessionBinder, tokenId: string): void {
  const r = req as BindableRequest
  const original = r.logIn
  if (typeof original !== 'function') return
  const wrapped: LogIn = function (this: unknown, user, options, done) {
    let opts = options as { session?: boolean } | undefined
    let callback = done as ((err?: unknown) => void) | undefined
    if (typeof options === 'function') {
      callback = options as (err?: unknown) => void
      opts = {}
    }
    r.login = r.logIn = original
    original.call(this, user, opts, (err?: unknown) => {
      if (err || opts?.session === false || !r.session) return callback?.(err)
      r.session[SESSION_TOKEN_ID_KEY] = tokenId
      if (typeof r.sessionID !== 'string') return callback?.() // cookie-session: the revoke guard covers it
      const maxAge = r.session.cookie?.maxAge
      const ttl = typeof maxAge === 'number' && maxAge > 0 ? Math.ceil(maxAge / 1000) : index.ttl
      index.bind(tokenId, r.sessionID, Math.max(ttl, 1)).then(
        () => callback?.(),
        (bindErr: unknown) => {
          debug('binding the session for provider sign-out failed: %s', (bindErr as Error)?.message)
          callback?.(bindErr)
        },
      )
    })
  }
  r.login = r.logIn = wrapped
}
