import type { Dispatcher } from 'undici'
import { KNOWN_GRANTS } from './grants.js'
import type { SessionBinder } from '../sign-out/session-index/types.js'
import { sessionLoginState } from './login-state/session-store.js'
import type { LoginStateStore } from './login-state/types.js'
import { isCallbackPath, parseOrigins } from './callback-url.js'
import { issuerURL } from '../provider/issuer-url.js'
import type { ClientAuthMethod } from '../provider/token-exchange.js'

/** Freedom ID's production host (API.md §1). */
export const DEFAULT_ISSUER = 'https://passport.freedompay.kz'

/** The id_token algorithms accepted by default (DECISIONS.md row 1). */
export const DEFAULT_ID_TOKEN_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256'] as const

const SUPPORTED_ALGS = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'HS256', 'HS384', 'HS512',
])

/** Options of {@link FreedomIdStrategy}. */
export interface FreedomIdStrategyOptions {
  /** The client id Freedom ID support issued (a UUID). Required. */
  clientID: string
  /** The client secret Freedom ID support issued. Required; never logged. */
  clientSecret: string
  /**
   * Where Freedom ID sends the user back: an absolute `http(s)` URL (recommended), or a path (`/auth/freedom-id/callback`)
   * resolved against {@link FreedomIdStrategyOptions.origins}, which a path then requires. Never resolved against the
   * request's `Host` or `X-Forwarded-Host`: a client could then send the user's code to its own host. Required.
   */
  callbackURL: string
  /**
   * The app's public origin (`'https://app.example'`), or several, to resolve a path `callbackURL` against. With one,
   * no request header is read. With several, the request's `X-Forwarded-Host` or `Host` picks the one whose host it
   * names exactly; a request naming none fails with `HOST_NOT_ALLOWED` (400). Default: none (`callbackURL` must then be
   * absolute).
   */
  origins?: string | string[]
  /**
   * Which Freedom ID API signs users in: `'oidc'` (OpenID Connect, `/openid`) or `'oauth2'` (the proprietary
   * authorization-link flow). Default `'oidc'`.
   */
  protocol?: 'oidc' | 'oauth2'
  /**
   * Expected id_token `iss` and callback `iss` (RFC 9207), compared exactly as given: `https://op.example/` and
   * `https://op.example` are different issuers. Also the base of the default URLs, joined with one `/` whether or not
   * it ends with one. Default `https://passport.freedompay.kz` (no trailing slash, as Freedom ID's example `iss`).
   */
  issuer?: string
  /** Default `${issuer}/openid` (OIDC) or `${issuer}/api/v1/oauth/authorize` (OAuth2). */
  authorizationURL?: string
  /** Default `${issuer}/api/v1/oidc/token` (OIDC) or `${issuer}/api/v1/oauth/token` (OAuth2). DECISIONS.md row 3. */
  tokenURL?: string
  /** Default `${issuer}/api/v1/oidc/userinfo` (OIDC) or `${issuer}/api/v1/oauth/user` (OAuth2). DECISIONS.md row 11. */
  userInfoURL?: string
  /** Signing keys for asymmetric id_tokens. Default: `jwks_uri` from `${issuer}/.well-known/openid-configuration`, fetched lazily. */
  jwksURI?: string
  /**
   * Grants to ask for, as a space-separated string or an array (`read.email`, `read.phone` …). In OIDC `openid` is
   * always sent. Default `['openid']` (OIDC) or `[]` (OAuth2, which needs at least one grant).
   */
  scope?: string | string[]
  /** Grants Freedom ID added after this release, accepted in `scope` besides the documented ones. Default `[]`. */
  extraGrants?: string[]
  /**
   * id_token (and signed userinfo) algorithms allowed. Default `['RS256','PS256','ES256','EdDSA','Ed25519','HS256']`;
   * `none` is never allowed; HS* use `clientSecret`.
   */
  idTokenSigningAlgs?: string[]
  /** Seconds of clock skew tolerated for `exp`, `nbf`, `iat` and `auth_time`. Default `30`. */
  clockTolerance?: number
  /** Seconds: sends `max_age` and requires an `auth_time` at most this old. Default: not sent. */
  maxAge?: number
  /** Milliseconds each provider call (token, userinfo, discovery, JWKS) may take. Default `10000`. */
  timeout?: number
  /** Body of the token request: `'json'` (as documented) or `'form'` (`application/x-www-form-urlencoded`). Default `'json'`. */
  tokenRequestFormat?: 'json' | 'form'
  /**
   * How the client authenticates at the token endpoint. `'basic'`: `Authorization: Basic base64(clientID:clientSecret)`
   * with the raw values, as Freedom ID documents it. `'client_secret_basic'`: the same header with each value
   * form-urlencoded first (RFC 6749 §2.3.1), as standard servers expect when the secret holds `+ / = % :` or spaces.
   * `'client_secret_post'`: `client_id` and `client_secret` in the request body, no header. Default `'basic'`.
   */
  clientAuthMethod?: ClientAuthMethod
  /**
   * Audiences besides `clientID` that an id_token's `aud` may name (OpenID Connect Core §3.1.3.7 step 3). Any other
   * extra audience fails the login (`ID_TOKEN_INVALID`, claim `aud`). Default `[]`.
   */
  trustedAudiences?: string[]
  /**
   * Seconds the provider's JSON Web Key Set is kept before the next token refetches it, so that keys the provider
   * removed stop being trusted. A token with an unknown `kid` refetches sooner (at most once a second). Default `600`.
   */
  jwksCacheMaxAge?: number
  /** Send an S256 PKCE challenge and verifier (not documented by Freedom ID). Default `false`. */
  pkce?: boolean
  /** Absolute URL of the app's revoke route, sent as `revoke_uri` in the token request. Default: not sent. */
  revokeURL?: string
  /** Where a login's token `id` is bound to the session it ends in, for provider sign-out. Default: none. */
  sessionIndex?: SessionBinder
  /** Skip the userinfo call and build the profile from the id_token alone. Default `false`. */
  skipUserProfile?: boolean
  /** Pass `req` as the first argument of the verify callback. Default `false`. */
  passReqToCallback?: boolean
  /**
   * Pass the token response (`params`) to the verify callback, before `profile`. Default: chosen by the verify
   * function's parameter count, as passport-oauth2 does (5, or 6 with `req`). Setting it `true` also picks the
   * constructor overload that types the `params` forms in TypeScript, and lets an `async` function without `done` take `params`.
   */
  passParamsToCallback?: boolean
  /** Key in `req.session` under which the one-time login records live. Default `'freedom-id'`. */
  sessionKey?: string
  /**
   * Where a pending login waits between the redirect to Freedom ID and the callback. Default: the session,
   * `sessionLoginState({ key: sessionKey })`.
   */
  loginState?: LoginStateStore
  /**
   * OAuth2 flavour only: carry `state` in the `redirect_uri` sent to the authorization-link call (DECISIONS.md row 12).
   * Set `false` if Freedom ID matches `redirect_uri` exactly: the state then lives only in the session, one pending
   * OAuth2 login per session. Default `true`.
   */
  stateInRedirectURI?: boolean
  /** An undici dispatcher for provider calls, instead of the strategy's own keep-alive agent. */
  dispatcher?: Dispatcher
}

/** The options after validation and defaulting. @internal */
export interface ResolvedOptions {
  protocol: 'oidc' | 'oauth2'
  clientID: string
  clientSecret: string
  callbackURL: string
  origins: string[] | undefined
  issuer: string
  authorizationURL: string
  tokenURL: string
  userInfoURL: string
  jwksURI: string | undefined
  scope: string[]
  extraGrants: string[]
  idTokenSigningAlgs: string[]
  clockTolerance: number
  maxAge: number | undefined
  timeout: number
  tokenRequestFormat: 'json' | 'form'
  clientAuthMethod: ClientAuthMethod
  trustedAudiences: string[]
  jwksCacheMaxAge: number
  pkce: boolean
  revokeURL: string | undefined
  sessionIndex: SessionBinder | undefined
  skipUserProfile: boolean
  passReqToCallback: boolean
  /** `undefined`: by the verify function's parameter count. */
  passParamsToCallback: boolean | undefined
  sessionKey: string
  loginState: LoginStateStore
  stateInRedirectURI: boolean
  dispatcher: Dispatcher | undefined
}

function fail(name: string, requirement: string): never {
  throw new TypeError(`FreedomIdStrategy: "${name}" option ${requirement}`)
}

function nonEmptyString(options: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = options[name]
  if (value === undefined || value === null) {
    if (required) fail(name, 'is required')
    return undefined
  }
  if (typeof value !== 'string' || value.trim() === '') fail(name, 'must be a non-empty string')
  return value
}

function absoluteURL(options: Record<string, unknown>, name: string): string | undefined {
  const value = nonEmptyString(options, name, false)
  if (value === undefined) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    fail(name, `must be an absolute http(s) URL, got "${value}"`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(name, 'must be an http(s) URL')
  return value
}

function boolean<F extends boolean | undefined>(options: Record<string, unknown>, name: string, fallback: F): boolean | F {
  const value = options[name]
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(name, 'must be a boolean')
  return value
}

function number(options: Record<string, unknown>, name: string, check: 'non-negative' | 'positive integer'): number | undefined {
  const value = options[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(name, `must be a ${check} number`)
  if (check === 'non-negative' && value < 0) fail(name, 'must be a non-negative number')
  if (check === 'positive integer' && (!Number.isInteger(value) || value <= 0)) fail(name, 'must be a positive integer')
  return value
}

function oneOf<T extends string>(options: Record<string, unknown>, name: string, values: readonly T[], fallback: T): T {
  const value = options[name]
  if (value === undefined) return fallback
  if (!values.includes(value as T)) fail(name, `must be one of ${values.map((v) => `'${v}'`).join(', ')}`)
  return value as T
}

function stringList(options: Record<string, unknown>, name: string): string[] | undefined {
  const value = options[name]
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : value
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === '' || /\s/.test(item))) {
    fail(name, 'must be a space-separated string or an array of non-empty strings without spaces')
  }
  return list as string[]
}

/**
 * Validates a `scope` value against the documented grants plus `extraGrants`, dedupes it, and adds `openid` in OIDC.
 * @internal
 */
export function parseScope(value: unknown, protocol: 'oidc' | 'oauth2', extraGrants: readonly string[]): string[] {
  const requested = stringList({ scope: value }, 'scope') ?? []
  const allowed = new Set<string>([...KNOWN_GRANTS, ...extraGrants])
  for (const grant of requested) {
    if (!allowed.has(grant)) {
      fail('scope', `names "${grant}", which is not a Freedom ID grant (known: ${KNOWN_GRANTS.join(', ')}); pass grants added later in "extraGrants"`)
    }
  }
  const scope = [...new Set(requested)]
  if (protocol === 'oidc' && !scope.includes('openid')) scope.unshift('openid')
  if (protocol === 'oauth2' && scope.length === 0) fail('scope', 'must name at least one grant in the OAuth2 flavour')
  return scope
}

function resolveAlgs(options: Record<string, unknown>): string[] {
  const algs = stringList(options, 'idTokenSigningAlgs') ?? [...DEFAULT_ID_TOKEN_ALGS]
  if (algs.length === 0) fail('idTokenSigningAlgs', 'must name at least one algorithm')
  for (const alg of algs) {
    if (alg.toLowerCase() === 'none') fail('idTokenSigningAlgs', 'can never allow "none": unsigned id_tokens are not accepted')
    if (!SUPPORTED_ALGS.has(alg)) fail('idTokenSigningAlgs', `names "${alg}", which is not one of ${[...SUPPORTED_ALGS].join(', ')}`)
  }
  return algs
}

function resolveCallbackURL(options: Record<string, unknown>, origins: string[] | undefined): string {
  const value = nonEmptyString(options, 'callbackURL', true) as string
  if (!isCallbackPath(value)) return absoluteURL(options, 'callbackURL') as string
  if (origins === undefined) {
    fail(
      'callbackURL',
      `is the path "${value}" and no "origins" option is set: give an absolute callbackURL (recommended) or set "origins" ` +
        'to the app\'s public origin, e.g. "https://app.example" (the request\'s Host header is never used: it is client input)',
    )
  }
  return value
}

function resolveSessionIndex(options: Record<string, unknown>): SessionBinder | undefined {
  const value = options.sessionIndex as SessionBinder | undefined
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || typeof value.bind !== 'function') {
    fail('sessionIndex', 'must be a session index (MemorySessionIndex, RedisSessionIndex or an object with bind())')
  }
  return value
}

function resolveLoginState(options: Record<string, unknown>, sessionKey: string): LoginStateStore {
  const value = options.loginState as LoginStateStore | undefined
  if (value === undefined) return sessionLoginState({ key: sessionKey })
  if (value === null || typeof value !== 'object' || typeof value.put !== 'function' || typeof value.take !== 'function') {
    fail('loginState', 'must be a login state store (sessionLoginState(), cookieLoginState() or an object with put() and take())')
  }
  return value
}

/** Validates the options (a `TypeError` naming the option) and fills in the defaults. @internal */
export function resolveOptions(input: FreedomIdStrategyOptions): ResolvedOptions {
  if (input === null || typeof input !== 'object') throw new TypeError('FreedomIdStrategy requires an options object')
  const options = input as unknown as Record<string, unknown>
  const protocol = oneOf(options, 'protocol', ['oidc', 'oauth2'] as const, 'oidc')
  const issuer = absoluteURL(options, 'issuer') ?? DEFAULT_ISSUER
  const extraGrants = stringList(options, 'extraGrants') ?? []
  const scope = parseScope(options.scope, protocol, extraGrants)
  const oidc = protocol === 'oidc'
  const origins = options.origins === undefined ? undefined : parseOrigins(options.origins)
  const dispatcher = options.dispatcher
  const sessionKey = nonEmptyString(options, 'sessionKey', false) ?? 'freedom-id'
  if (dispatcher !== undefined && (dispatcher === null || typeof dispatcher !== 'object')) {
    fail('dispatcher', 'must be an undici Dispatcher')
  }
  return {
    protocol,
    clientID: nonEmptyString(options, 'clientID', true) as string,
    clientSecret: nonEmptyString(options, 'clientSecret', true) as string,
    callbackURL: resolveCallbackURL(options, origins),
    origins,
    issuer,
    authorizationURL: absoluteURL(options, 'authorizationURL') ?? issuerURL(issuer, oidc ? '/openid' : '/api/v1/oauth/authorize'),
    tokenURL: absoluteURL(options, 'tokenURL') ?? issuerURL(issuer, oidc ? '/api/v1/oidc/token' : '/api/v1/oauth/token'),
    userInfoURL: absoluteURL(options, 'userInfoURL') ?? issuerURL(issuer, oidc ? '/api/v1/oidc/userinfo' : '/api/v1/oauth/user'),
    jwksURI: absoluteURL(options, 'jwksURI'),
    scope,
    extraGrants,
    idTokenSigningAlgs: resolveAlgs(options),
    clockTolerance: number(options, 'clockTolerance', 'non-negative') ?? 30,
    maxAge: number(options, 'maxAge', 'non-negative'),
    timeout: number(options, 'timeout', 'positive integer') ?? 10_000,
    tokenRequestFormat: oneOf(options, 'tokenRequestFormat', ['json', 'form'] as const, 'json'),
    clientAuthMethod: oneOf(options, 'clientAuthMethod', ['basic', 'client_secret_basic', 'client_secret_post'] as const, 'basic'),
    trustedAudiences: stringList(options, 'trustedAudiences') ?? [],
    jwksCacheMaxAge: number(options, 'jwksCacheMaxAge', 'non-negative') ?? 600,
    pkce: boolean(options, 'pkce', false),
    revokeURL: absoluteURL(options, 'revokeURL'),
    sessionIndex: resolveSessionIndex(options),
    skipUserProfile: boolean(options, 'skipUserProfile', false),
    passReqToCallback: boolean(options, 'passReqToCallback', false),
    passParamsToCallback: boolean(options, 'passParamsToCallback', undefined),
    sessionKey,
    loginState: resolveLoginState(options, sessionKey),
    stateInRedirectURI: boolean(options, 'stateInRedirectURI', true),
    dispatcher: dispatcher as Dispatcher | undefined,
  }
}

/** What every token-endpoint call of a sign-in sends to identify the client, from the resolved options. */
export function tokenEndpointClient(options: ResolvedOptions) {
  return {
    tokenURL: options.tokenURL,
    clientID: options.clientID,
    clientSecret: options.clientSecret,
    format: options.tokenRequestFormat,
    authMethod: options.clientAuthMethod,
  }
}
