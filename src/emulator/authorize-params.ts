import type { Request } from 'express'
import { GRANTS } from './defaults.js'
import { isHttpURL, queryString } from './request.js'
import type { EmulatorClient } from './types.js'

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
const PKCE_CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/

/** An http(s) URL on a loopback host; with `exact`, also without a query (one no registration could carry). */
function isLoopbackRedirect(uri: string, exact: boolean): boolean {
  if (!isHttpURL(uri)) return false
  const url = new URL(uri)
  return LOOPBACK_HOSTS.has(url.hostname) && (!exact || (url.search === '' && !uri.includes('?')))
}

/**
 * True when the OIDC flow may redirect to `uri` for `client`: exact match, or loopback when none are registered
 * (without a query under the `exactRedirectURI` rule).
 */
export function isAllowedOIDCRedirect(client: EmulatorClient, uri: string, exact = false): boolean {
  if (client.redirectURIs) return client.redirectURIs.includes(uri)
  return isLoopbackRedirect(uri, exact)
}

/**
 * True when `uri` is on one of `client`'s registered origins (those of its `redirectURIs`), or on a loopback origin
 * when it registered none: where the emulator may send a browser back after its own sign-out page.
 */
export function isRegisteredOrigin(client: EmulatorClient, uri: string): boolean {
  if (!isHttpURL(uri)) return false
  if (!client.redirectURIs) return isLoopbackRedirect(uri, false)
  const origin = new URL(uri).origin
  return client.redirectURIs.some((r) => isHttpURL(r) && new URL(r).origin === origin)
}

/**
 * True when the OAuth2 flow may redirect to `uri`. Lenient: its query aside, a registered URI, or any http(s) URL.
 * With `exact` (the `exactRedirectURI` rule): a registered URI character for character, or a loopback URL without a
 * query when none are registered.
 */
export function isAllowedOAuth2Redirect(client: EmulatorClient, uri: string, exact = false): boolean {
  if (!isHttpURL(uri)) return false
  if (exact) return client.redirectURIs ? client.redirectURIs.includes(uri) : isLoopbackRedirect(uri, true)
  if (!client.redirectURIs) return true
  const strip = (u: string): string => {
    const url = new URL(u)
    return `${url.origin}${url.pathname}`
  }
  return client.redirectURIs.some((r) => isHttpURL(r) && strip(r) === strip(uri))
}

/** The validated OIDC authorization request, or the reason it is invalid. */
export type OIDCAuthorizeParams =
  | { ok: true; scopes: string[]; state: string; nonce: string; codeChallenge?: string }
  | { ok: false; description: string; state?: string }

/** Checks `GET /openid`'s parameters other than `client_id` and `redirect_uri`. */
export function readOIDCAuthorizeParams(req: Request): OIDCAuthorizeParams {
  const state = queryString(req, 'state')
  const fail = (description: string): OIDCAuthorizeParams =>
    state ? { ok: false, description, state } : { ok: false, description }
  if (queryString(req, 'response_type') !== 'code') return fail('response_type must be code')
  const scope = queryString(req, 'scope')
  if (scope === undefined) return fail('scope is required')
  const scopes = [...new Set(scope.split(/\s+/).filter(Boolean))]
  if (!scopes.includes('openid')) return fail('scope must contain openid')
  const unknown = scopes.find((s) => !(GRANTS as readonly string[]).includes(s))
  if (unknown !== undefined) return fail(`unknown scope ${unknown.slice(0, 64)}`)
  if (!state) return fail('state is required')
  const nonce = queryString(req, 'nonce')
  if (!nonce) return fail('nonce is required')
  const challenge = req.query.code_challenge
  const method = req.query.code_challenge_method
  if (challenge !== undefined || method !== undefined) {
    if (method !== 'S256') return fail('code_challenge_method must be S256')
    if (typeof challenge !== 'string' || !PKCE_CHALLENGE.test(challenge)) return fail('code_challenge is invalid')
  }
  const maxAge = req.query.max_age
  if (maxAge !== undefined && (typeof maxAge !== 'string' || !/^\d{1,10}$/.test(maxAge))) {
    return fail('max_age must be a non-negative integer')
  }
  const out: OIDCAuthorizeParams = { ok: true, scopes, state, nonce }
  if (typeof challenge === 'string') out.codeChallenge = challenge
  return out
}
