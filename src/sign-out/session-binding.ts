import type { Request } from 'express'
import { debuglog } from 'node:util'
import type { SessionBinder } from './session-index/types.js'
import { SESSION_TOKEN_ID_KEY } from './session-index/types.js'
import { afterLogIn } from './session-login.js'

const debug = debuglog('freedom-id')

type BindableRequest = Request & {
  sessionID?: string
  session: Record<string, unknown> & { cookie?: { maxAge?: number | null } }
}

/**
 * Binds the login's token id to the session it ends in, once Passport's `req.logIn()` has regenerated it (its final
 * id), for as long as the session cookie (`maxAge`), else the index's `ttl`. The token id also goes into the session
 * under {@link SESSION_TOKEN_ID_KEY} for the revoke guard; cookie sessions have no id to bind and rely on the guard.
 *
 * A failed bind fails the `logIn` with its error: a session that provider sign-out could not end is not handed out.
 */
export function bindSessionOnLogIn(req: Request, index: SessionBinder, tokenId: string): void {
  afterLogIn(req, (done) => {
    const r = req as BindableRequest
    r.session[SESSION_TOKEN_ID_KEY] = tokenId
    if (typeof r.sessionID !== 'string') return done()
    const maxAge = r.session.cookie?.maxAge
    const ttl = typeof maxAge === 'number' && maxAge > 0 ? Math.ceil(maxAge / 1000) : index.ttl
    index.bind(tokenId, r.sessionID, Math.max(ttl, 1)).then(
      () => done(),
      (err: unknown) => {
        debug('binding the session for provider sign-out failed: %s', (err as Error)?.message)
        done(err)
      },
    )
  })
}
