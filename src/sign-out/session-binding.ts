import type { Request } from 'express'
import { debuglog } from 'node:util'
import type { SessionBinder } from './session-index/types.js'
import { SESSION_ORIGINAL_TOKEN_ID_KEY, SESSION_TOKEN_ID_KEY } from './session-index/types.js'
import { afterLogIn } from './session-login.js'

const debug = debuglog('freedom-id')

type BindableRequest = Request & {
  sessionID?: string
  sessionStore?: unknown
  session: Record<string, unknown> & { cookie?: { maxAge?: number | null } }
}

type DestroyCallback = (err?: unknown) => void
interface DestroyableStore {
  destroy(sid: string, callback?: DestroyCallback): unknown
  [UNBINDERS]?: Set<SessionBinder>
}

const UNBINDERS = Symbol.for('passport-freedom-id.unbinders')

/**
 * Makes `store.destroy(sid)` (express-session calls it on `session.destroy()`, and through `regenerate()` on
 * Passport's `logIn` and `logOut`) also remove the session's binding from `index`, so that the index holds one
 * binding per live session, not one per sign-in. Wraps each store once; a failed unbind is logged (the binding then
 * expires with its ttl) and never fails the destroy. Stores without `destroy` (cookie sessions) are left alone.
 * @internal
 */
export function unbindOnDestroy(store: unknown, index: SessionBinder): void {
  if (typeof index.unbind !== 'function' || typeof store !== 'object' || store === null) return
  const s = store as DestroyableStore
  if (typeof s.destroy !== 'function') return
  const existing = s[UNBINDERS]
  if (existing) {
    existing.add(index)
    return
  }
  const indexes = new Set([index])
  Object.defineProperty(s, UNBINDERS, { value: indexes })
  const destroy = s.destroy
  s.destroy = function (this: unknown, sid: string, callback?: DestroyCallback) {
    return destroy.call(this, sid, (err?: unknown) => {
      if (err) return callback?.(err)
      Promise.allSettled([...indexes].map((i) => i.unbind!(sid))).then((results) => {
        for (const r of results) {
          if (r.status === 'rejected') debug('unbinding a destroyed session failed: %s', (r.reason as Error)?.message)
        }
        callback?.()
      })
    })
  }
}

/**
 * Binds the login's token id to the session it ends in, once Passport's `req.logIn()` has regenerated it (its final
 * id), for as long as the session cookie (`maxAge`), else the index's `ttl`. The token id also goes into the session
 * under {@link SESSION_TOKEN_ID_KEY} for the revoke guard; cookie sessions have no id, so their token id is bound
 * without one (the guard ends them). The session store's `destroy` is wrapped to unbind ended sessions.
 *
 * A failed bind fails the `logIn` with its error: a session that provider sign-out could not end is not handed out.
 */
export function bindSessionOnLogIn(req: Request, index: SessionBinder, tokenId: string): void {
  afterLogIn(req, (done) => {
    const r = req as BindableRequest
    r.session[SESSION_TOKEN_ID_KEY] = tokenId
    if (r.session[SESSION_ORIGINAL_TOKEN_ID_KEY] !== undefined) r.session[SESSION_ORIGINAL_TOKEN_ID_KEY] = undefined // a new sign-in's chain
    const sessionId = typeof r.sessionID === 'string' ? r.sessionID : null
    if (sessionId !== null) unbindOnDestroy(r.sessionStore, index)
    const maxAge = r.session.cookie?.maxAge ?? (r as { sessionOptions?: { maxAge?: number } }).sessionOptions?.maxAge
    const ttl = typeof maxAge === 'number' && maxAge > 0 ? Math.ceil(maxAge / 1000) : index.ttl
    index.bind(tokenId, sessionId, Math.max(ttl, 1)).then(
      () => done(),
      (err: unknown) => {
        debug('binding the session for provider sign-out failed: %s', (err as Error)?.message)
        done(err)
      },
    )
  })
}
