import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { debuglog } from 'node:util'
import type { FreedomIdClient } from './api-client.js'
import { FreedomIdError, isFreedomIdError } from '../errors.js'
import type { SessionBinder } from '../sign-out/session-index/types.js'
import { SESSION_ORIGINAL_TOKEN_ID_KEY, SESSION_TOKEN_ID_KEY } from '../sign-out/session-index/types.js'
import { logOutRequest } from '../sign-out/session-login.js'
import { createSharedRefresh, type SharedRefreshOptions } from './shared-refresh.js'
import { readSessionTokens, toStoredTokens, writeSessionTokens, type StoredTokens } from './session-tokens.js'
import type { TokenResponse } from '../provider/token-exchange.js'

const debug = debuglog('freedom-id')

/** Options of {@link createTokenRefresher}. */
export interface TokenRefresherOptions {
  /** Makes the refresh call: a client from `createFreedomIdClient()`. Required. */
  client: Pick<FreedomIdClient, 'refreshTokens'> & Partial<Pick<FreedomIdClient, 'timeout'>>
  /** Seconds before `access_expire_at` from which the access token is refreshed. Default `60`. */
  margin?: number
  /** Reads the request's tokens. Default: `req.session.freedomIdTokens`, as {@link keepTokensOnLogIn} writes them. */
  getTokens?: (req: Request) => StoredTokens | undefined | Promise<StoredTokens | undefined>
  /** Stores the rotated tokens, or deletes them (`undefined`). Default: `req.session.freedomIdTokens`. */
  setTokens?: (req: Request, tokens: StoredTokens | undefined) => void | Promise<void>
  /**
   * Called after a refused refresh token has logged the user out, instead of `next()`: e.g. redirect to the sign-in
   * route. Default: the request continues unauthenticated.
   */
  onInvalid?: (req: Request, res: Response, next: NextFunction, error: FreedomIdError) => void | Promise<void>
  /**
   * The strategy's session index: a refresh issues a new token record `id`, which is bound to the session (and
   * written to `req.session.freedomIdTokenId`) so that provider sign-out still finds it. Default: none; the session's
   * `freedomIdTokenId` is still updated when present.
   */
  sessionIndex?: SessionBinder
  /**
   * Seconds a finished refresh is handed to requests that still carry the old refresh token (a parallel request that
   * loaded the session before the rotated tokens were saved), instead of sending a refresh token Freedom ID already
   * rotated. Default `30`.
   */
  reuseWindow?: number
  /**
   * Refresh tokens that came from an OIDC sign-in (stored with `protocol: 'oidc'`) with `client.refreshTokens()`.
   * Freedom ID documents its refresh (`PATCH /api/v1/oauth/token`) for OAuth2 tokens only, so this is off: an OIDC
   * session keeps its access token until it expires and is then signed out as if refused (`REFRESH_TOKEN_INVALID`,
   * a message naming this option). Set `true` once you know your Freedom ID client refreshes OIDC tokens.
   * Default `false`.
   */
  refreshOidcTokens?: boolean
  /**
   * With `refreshOidcTokens`, how an OIDC sign-in's refresh token is used: `'patch'` (Freedom ID's OAuth2 refresh) or
   * `'refresh_token'` (the standard grant at the OIDC token endpoint). OAuth2 sign-ins always use `'patch'`.
   * Default: the client's `refreshGrant`.
   */
  oidcRefreshGrant?: 'patch' | 'refresh_token'
  /**
   * Makes refresh single-flight across processes through Redis, for several app processes on one session store: a
   * short lock per refresh token, and the new pair handed (encrypted with the old refresh token) to the other
   * processes' requests for `reuseWindow`. Without it, two processes refreshing one session at once spend the refresh
   * token twice and Freedom ID refuses the second, signing the user out. Default: in-process single flight only.
   */
  redis?: SharedRefreshOptions
  /** The clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number
}

interface Flight {
  promise: Promise<TokenResponse>
  /** Until when a fulfilled refresh is reused; `Infinity` while in flight. */
  reuseUntil: number
}

type RefreshRequest = Request & {
  session?: (Record<string, unknown> & { cookie?: { maxAge?: number | null } }) | null
  sessionID?: string
}

const MAX_FLIGHTS = 10_000

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`createTokenRefresher: "${name}" option must be a non-negative number of seconds`)
  }
  return value
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`createTokenRefresher: "${name}" option must be a function`)
}

/**
 * Middleware that keeps the signed-in user's Freedom ID access token fresh. Mount it after the session middleware and
 * `passport.session()`. For a request whose tokens (see `getTokens`) have an `access_expire_at` less than `margin`
 * seconds away, it calls `client.refreshTokens()` and stores the rotated pair (`setTokens`) before the route runs;
 * other requests cost one read. Tokens without a known expiry are never refreshed ahead of time.
 *
 * - Concurrent requests of one session share one refresh call (in-process single flight, by refresh token), and for
 *   `reuseWindow` seconds afterwards a request still carrying the old refresh token gets the new pair. Across
 *   processes, give the `redis` option.
 * - A refused refresh token (`REFRESH_TOKEN_INVALID`: rotated, expired, or the user signed out of Freedom ID), or an
 *   expired access token without a refresh token, deletes the tokens and logs the user out (`req.logout()`), then
 *   continues unauthenticated, or calls `onInvalid`.
 * - A provider fault (5xx, timeout) leaves the tokens alone: the request continues while the access token is still
 *   valid, and gets `next(err)` (status 502/504) once it has expired.
 *
 * @throws TypeError naming the option when an option is malformed.
 */
export function createTokenRefresher(options: TokenRefresherOptions): RequestHandler {
  if (typeof options?.client?.refreshTokens !== 'function') {
    throw new TypeError('createTokenRefresher requires a "client" option (createFreedomIdClient())')
  }
  const marginMs = seconds('margin', options.margin, 60) * 1000
  const reuseMs = seconds('reuseWindow', options.reuseWindow, 30) * 1000
  for (const name of ['getTokens', 'setTokens', 'onInvalid', 'now'] as const) optionalFunction(name, options[name])
  if (options.sessionIndex !== undefined && typeof options.sessionIndex?.bind !== 'function') {
    throw new TypeError('createTokenRefresher: "sessionIndex" option must be a session index')
  }
  if (options.refreshOidcTokens !== undefined && typeof options.refreshOidcTokens !== 'boolean') {
    throw new TypeError('createTokenRefresher: "refreshOidcTokens" option must be a boolean')
  }
  const refreshOidc = options.refreshOidcTokens ?? false
  const oidcGrant = options.oidcRefreshGrant
  if (oidcGrant !== undefined && oidcGrant !== 'patch' && oidcGrant !== 'refresh_token') {
    throw new TypeError('createTokenRefresher: "oidcRefreshGrant" option must be \'patch\' or \'refresh_token\'')
  }
  const { client, onInvalid, sessionIndex } = options
  const getTokens = options.getTokens ?? readSessionTokens
  const setTokens = options.setTokens ?? writeSessionTokens
  const now = options.now ?? Date.now
  const flights = new Map<string, Flight>()

  function sweep(at: number): void {
    for (const [key, flight] of flights) {
      if (flight.reuseUntil === Infinity) continue
      if (flight.reuseUntil > at) break
      flights.delete(key)
    }
    for (const key of flights.keys()) {
      if (flights.size <= MAX_FLIGHTS) break
      flights.delete(key)
    }
  }

  const shared = options.redis === undefined ? undefined : createSharedRefresh(options.redis, reuseMs, typeof client.timeout === 'number' ? client.timeout : undefined)

  function refreshOnce(refreshToken: string, protocol: 'oidc' | 'oauth2' | undefined): Promise<TokenResponse> {
    sweep(now())
    const current = flights.get(refreshToken)
    if (current && current.reuseUntil > now()) return current.promise
    const grant = protocol === 'oauth2' ? 'patch' : protocol === 'oidc' ? oidcGrant : undefined
    const call = () => (grant === undefined ? client.refreshTokens(refreshToken) : client.refreshTokens(refreshToken, { grant }))
    const flight: Flight = { promise: shared ? shared(refreshToken, call) : call(), reuseUntil: Infinity }
    flights.set(refreshToken, flight)
    flight.promise.then(
      () => {
        flights.delete(refreshToken)
        if (reuseMs > 0) flights.set(refreshToken, { ...flight, reuseUntil: now() + reuseMs })
      },
      () => flights.delete(refreshToken),
    )
    return flight.promise
  }

  async function rebind(req: RefreshRequest, tokenId: string | undefined): Promise<void> {
    const session = req.session
    if (tokenId === undefined || !session) return
    if (sessionIndex === undefined && session[SESSION_TOKEN_ID_KEY] === undefined) return
    const previous = session[SESSION_TOKEN_ID_KEY]
    if (session[SESSION_ORIGINAL_TOKEN_ID_KEY] === undefined && typeof previous === 'string' && previous !== tokenId) {
      session[SESSION_ORIGINAL_TOKEN_ID_KEY] = previous
    }
    session[SESSION_TOKEN_ID_KEY] = tokenId
    if (sessionIndex === undefined) return
    const maxAge = session.cookie?.maxAge
    const ttl = typeof maxAge === 'number' && maxAge > 0 ? Math.ceil(maxAge / 1000) : sessionIndex.ttl
    // A cookie session (no id) is bound without one, so that a revoke of the new token id still marks it. The
    // session stays bound to the ids before it too: Freedom ID may POST the id the sign-in returned, not the newest.
    const sessionId = typeof req.sessionID === 'string' ? req.sessionID : null
    await sessionIndex.bind(tokenId, sessionId, Math.max(ttl, 1), { keepPrevious: true })
  }

  async function refresh(req: RefreshRequest, res: Response, next: NextFunction): Promise<void> {
    const tokens = await getTokens(req)
    const expiresAt = tokens ? Date.parse(tokens.access_expire_at ?? '') : Number.NaN
    if (!tokens || Number.isNaN(expiresAt) || now() < expiresAt - marginMs) return next()
    let fresh: TokenResponse
    try {
      if (tokens.protocol === 'oidc' && !refreshOidc) {
        if (now() < expiresAt) return next()
        throw new FreedomIdError(
          'REFRESH_TOKEN_INVALID',
          'The access token of this OIDC sign-in expired and was not refreshed: Freedom ID documents token refresh ' +
            '(PATCH /api/v1/oauth/token) for OAuth2 tokens only. Set "refreshOidcTokens: true" on createTokenRefresher() ' +
            'if your Freedom ID client refreshes OIDC tokens; the user has to sign in again.',
        )
      }
      if (tokens.refresh_token === undefined || tokens.refresh_token === '') {
        if (now() < expiresAt) return next()
        throw new FreedomIdError('REFRESH_TOKEN_INVALID', 'The access token expired and there is no refresh token: the user has to sign in again.')
      }
      fresh = await refreshOnce(tokens.refresh_token, tokens.protocol)
    } catch (err) {
      if (isFreedomIdError(err, 'REFRESH_TOKEN_INVALID')) {
        debug('refresh token refused: logging the user out')
        await setTokens(req, undefined)
        if (req.session) {
          req.session[SESSION_TOKEN_ID_KEY] = undefined // not `delete`: @fastify/secure-session ignores it
          req.session[SESSION_ORIGINAL_TOKEN_ID_KEY] = undefined
        }
        await logOutRequest(req)
        if (onInvalid) return onInvalid(req, res, next, err)
        return next()
      }
      if (now() < expiresAt) {
        debug('token refresh failed (%s); the access token is still valid', isFreedomIdError(err) ? err.code : (err as Error)?.name)
        return next()
      }
      throw err
    }
    const stored = toStoredTokens(fresh, now())
    if (stored.refresh_token === undefined && tokens.refresh_token !== undefined) stored.refresh_token = tokens.refresh_token
    if (tokens.protocol !== undefined) stored.protocol = tokens.protocol
    await setTokens(req, stored)
    await rebind(req, stored.id)
    next()
  }

  return (req, res, next) => {
    refresh(req as RefreshRequest, res, next).catch(next)
  }
}
