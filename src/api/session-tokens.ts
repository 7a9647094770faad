import type { Request } from 'express'
import { afterLogIn } from '../sign-out/session-login.js'
import type { TokenResponse } from '../provider/token-exchange.js'

/** The session key under which {@link keepTokensOnLogIn} and the token refresher keep a login's tokens. */
export const SESSION_TOKENS_KEY = 'freedomIdTokens'

/** The tokens kept for a signed-in user (API.md §4.2, §4.3). */
export interface StoredTokens {
  access_token: string
  refresh_token?: string
  /** ISO-8601 expiry of the access token; computed from `expires_in` when the provider sent that instead. */
  access_expire_at?: string
  /** ISO-8601 expiry of the refresh token. */
  refresh_expire_at?: string
  /** The token record `id` Freedom ID POSTs to `revoke_uri`; a refresh issues a new one. */
  id?: string
  /**
   * The flavour of the sign-in that issued the tokens: `'oidc'` when the token response carried an `id_token`, else
   * `'oauth2'`. The token refresher refreshes OIDC tokens only with `refreshOidcTokens: true`.
   */
  protocol?: 'oidc' | 'oauth2'
}

type SessionRequest = Request & { session?: Record<string, unknown> | null }

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The fields of a token response worth keeping: `access_token`, `refresh_token`, both expiries, `id`, and the
 * `protocol` that issued them. An OIDC response's `expires_in` becomes `access_expire_at`, counted from `now`. The
 * id_token is not kept.
 */
export function toStoredTokens(tokens: TokenResponse, now: number = Date.now()): StoredTokens {
  const stored: StoredTokens = { access_token: tokens.access_token }
  const refresh = text(tokens.refresh_token)
  if (refresh) stored.refresh_token = refresh
  const accessExpiry = text(tokens.access_expire_at)
  if (accessExpiry) stored.access_expire_at = accessExpiry
  else if (typeof tokens.expires_in === 'number' && Number.isFinite(tokens.expires_in) && tokens.expires_in > 0) {
    stored.access_expire_at = new Date(now + tokens.expires_in * 1000).toISOString()
  }
  const refreshExpiry = text(tokens.refresh_expire_at)
  if (refreshExpiry) stored.refresh_expire_at = refreshExpiry
  const id = text(tokens.id)
  if (id) stored.id = id
  stored.protocol = text(tokens.id_token) ? 'oidc' : 'oauth2'
  return stored
}

/** The tokens in `req.session[SESSION_TOKENS_KEY]`, when they have an `access_token`. */
export function readSessionTokens(req: Request): StoredTokens | undefined {
  const session = (req as SessionRequest).session
  const value = session && typeof session === 'object' ? session[SESSION_TOKENS_KEY] : undefined
  if (value === null || typeof value !== 'object' || text((value as StoredTokens).access_token) === undefined) return undefined
  return value as StoredTokens
}

/** Writes the tokens to `req.session[SESSION_TOKENS_KEY]`, or deletes them when `tokens` is `undefined`. */
export function writeSessionTokens(req: Request, tokens: StoredTokens | undefined): void {
  const session = (req as SessionRequest).session
  if (!session || typeof session !== 'object') return
  session[SESSION_TOKENS_KEY] = tokens // `undefined` rather than `delete`, which @fastify/secure-session ignores
}

/**
 * Keeps a login's tokens in the session for the token refresher: call it in the verify callback (with
 * `passReqToCallback: true`) with the token response (`params`). The tokens are written once Passport's
 * `req.logIn()` has regenerated the session, so they land in the session the user ends up with, and never in the
 * session of a refused login. Without Passport's `req.logIn` they are written at once.
 *
 * @example
 * new FreedomIdStrategy({ protocol: 'oauth2', passReqToCallback: true, … },
 *   (req, accessToken, refreshToken, params, profile, done) => {
 *     keepTokensOnLogIn(req, params)
 *     done(null, { id: profile.id })
 *   })
 */
export function keepTokensOnLogIn(req: Request, tokens: TokenResponse): void {
  const stored = toStoredTokens(tokens)
  afterLogIn(req, (done) => {
    writeSessionTokens(req, stored)
    done()
  })
}
