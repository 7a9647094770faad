import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Request } from 'express'
import { SESSION_ORIGINAL_TOKEN_ID_KEY, SESSION_TOKEN_ID_KEY, type SessionIndex } from './session-index/types.js'
import { unbindOnDestroy } from './session-binding.js'
import { logOutRequest } from './session-login.js'

/** Options of {@link createRevokeGuard}. */
export interface RevokeGuardOptions {
  /** The index the revoke router marks token ids revoked in. Required. */
  sessionIndex: SessionIndex
  /**
   * When the session carries no token id under {@link SESSION_TOKEN_ID_KEY}, look it up by `req.sessionID` in the
   * index's `sessionId → tokenId` mapping: one more lookup per request that has a session. Default `false`.
   */
  bySessionId?: boolean
}

interface GuardedRequest {
  session?: Record<string, unknown> | null
  sessionID?: string
  sessionStore?: unknown
}

/** Plain `(req, res, next)` middleware: it mounts on Express 4 and 5 alike. */
export type RevokeGuardHandler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void

/**
 * Middleware that logs out a request whose session belongs to a revoked Freedom ID token id, for sessions the
 * revoke router cannot destroy: cookie sessions (`cookie-session`), and sessions written after the provider's
 * revoke arrived. Mount it after the session middleware and `passport.session()`.
 *
 * For a request whose session carries a token id (at `req.session[SESSION_TOKEN_ID_KEY]`) it makes one
 * `sessionIndex.isRevoked()` lookup; other requests cost nothing. A revoked session is logged out and the request
 * continues unauthenticated: with a store-backed session (express-session) through Passport's `req.logout()` when
 * present, else `req.session.destroy()`; with a cookie session by `req.session = null` and clearing `req.user`
 * (Passport 0.7's `req.logout()` needs `regenerate`, which cookie sessions lack). A failing index lookup is passed
 * to `next(err)`. Like the strategy, it makes the session store's `destroy()` also unbind the session from the index
 * (so an instance that has seen no login yet still keeps the index to one binding per live session).
 *
 * @throws TypeError when `sessionIndex` is missing.
 */
export function createRevokeGuard(options: RevokeGuardOptions): RevokeGuardHandler {
  if (typeof options?.sessionIndex?.isRevoked !== 'function') {
    throw new TypeError('createRevokeGuard requires a sessionIndex option')
  }
  const { sessionIndex, bySessionId = false } = options
  return (request, _res, next) => {
    const req = request as unknown as GuardedRequest
    const session = req.session
    if (typeof session !== 'object' || session === null) return next()
    unbindOnDestroy(req.sessionStore, sessionIndex) // a no-op without a store (cookie sessions) or once done
    let tokenId: Promise<string | undefined> | string | undefined = stringOrUndefined(session[SESSION_TOKEN_ID_KEY])
    if (tokenId === undefined && bySessionId && typeof req.sessionID === 'string' && req.sessionID !== '') {
      tokenId = sessionIndex.tokenIdOf(req.sessionID)
    }
    if (tokenId === undefined) return next()
    // After a token refresh the session also carries the sign-in's token id, which Freedom ID may send instead.
    const original = stringOrUndefined(session[SESSION_ORIGINAL_TOKEN_ID_KEY])
    Promise.resolve(tokenId)
      .then(async (id) => {
        const revoked =
          (id !== undefined && (await sessionIndex.isRevoked(id))) ||
          (original !== undefined && original !== id && (await sessionIndex.isRevoked(original)))
        if (!revoked) return
        await logOutRequest(request as Request)
        if (req.session) {
          req.session[SESSION_TOKEN_ID_KEY] = undefined // not `delete`: see sessionLoginState
          req.session[SESSION_ORIGINAL_TOKEN_ID_KEY] = undefined
        }
      })
      .then(() => next(), next)
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
