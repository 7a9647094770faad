import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyOptions,
  type ProtectedHeaderParameters,
} from 'jose'
import { FreedomIdError } from '../errors.js'
import type { KeySource } from '../provider/jwks.js'

/** The verified claims of an id_token (OpenID Connect Core §2). */
export interface IdTokenClaims extends JWTPayload {
  sub: string
  iss: string
  aud: string | string[]
  exp: number
  iat: number
  nonce?: string
  auth_time?: number
  azp?: string
  [k: string]: unknown
}

/** Options of {@link verifyIdToken}. */
export interface VerifyIdTokenOptions {
  /** The exact `iss` the token must carry, e.g. `https://passport.freedompay.kz` (no trailing slash). */
  issuer: string
  /** The client id: `aud` must be it or contain it, and `azp` (when present) must equal it. */
  clientID: string
  /** The HMAC key of `HS256`/`HS384`/`HS512` tokens, as UTF-8 bytes. Never used for any other algorithm. */
  clientSecret: string
  /**
   * The `alg` values accepted, e.g. `['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256']`. `HS*` are verified with the
   * client secret, every other algorithm only with the JWKS. `none` is never accepted, even when listed.
   */
  algorithms: string[]
  /** Seconds of clock skew allowed on `exp`, `iat`, `nbf` and `auth_time`. */
  clockTolerance: number
  /**
   * Audiences besides `clientID` the token's `aud` may name; any other fails the `aud` check (OpenID Connect Core
   * §3.1.3.7 step 3). Default `[]`.
   */
  trustedAudiences?: string[]
  /** The nonce sent with this login's authorization request; the token's `nonce` must equal it. */
  nonce: string
  /**
   * Seconds since the user last authenticated (the `max_age` request parameter). When set, `auth_time` is required
   * and `now - auth_time` may not exceed `maxAge + clockTolerance`. Default: unset, `auth_time` is not checked.
   */
  maxAge?: number
  /** The signing keys of asymmetric algorithms. */
  keys: KeySource
  /** The time the token is checked at. Default: now. */
  currentDate?: Date
}

const SYMMETRIC = /^HS(256|384|512)$/
const CLAIMS_CHECKED_BY_JOSE = ['iss', 'aud', 'exp', 'iat', 'nbf', 'sub']

/**
 * Verifies an id_token as OpenID Connect Core §3.1.3.7 requires: the signature (HMAC with the client secret for
 * `HS*`, otherwise a key of the provider's JWKS), `alg` against the allow-list, `iss`, `aud`, `azp`, `exp`, `iat`,
 * `nbf`, `sub`, `nonce` and, with `maxAge`, `auth_time`.
 *
 * @returns The token's claims.
 * @throws {@link FreedomIdError} `ID_TOKEN_INVALID` (status 401) with `claim` naming the failed check: `format`,
 *   `alg`, `signature`, `kid`, `iss`, `aud`, `azp`, `exp`, `iat`, `nbf`, `sub`, `nonce` or `auth_time`.
 *   `JWKS_UNAVAILABLE` (502, or 504 on a timeout) when the signing keys could not be fetched.
 * @throws TypeError when an option is malformed.
 */
export async function verifyIdToken(idToken: string, options: VerifyIdTokenOptions): Promise<IdTokenClaims> {
  checkOptions(options)
  const alg = checkAlgorithm(readHeader(idToken).alg, options.algorithms)
  const symmetric = SYMMETRIC.test(alg)
  const verifyOptions: JWTVerifyOptions = {
    algorithms: options.algorithms.filter((a) => a !== 'none' && SYMMETRIC.test(a) === symmetric),
    issuer: options.issuer,
    audience: options.clientID,
    clockTolerance: options.clockTolerance,
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    ...(options.currentDate === undefined ? {} : { currentDate: options.currentDate }),
  }
  let payload: JWTPayload
  try {
    payload = symmetric
      ? await verifyWithSecret(idToken, options.clientSecret, verifyOptions)
      : await verifyWithKeySet(idToken, options.keys, verifyOptions)
  } catch (err) {
    throw toIdTokenError(err, options)
  }
  checkClaims(payload, options)
  return payload as IdTokenClaims
}

function checkOptions(options: VerifyIdTokenOptions): void {
  if (!Array.isArray(options.algorithms)) throw new TypeError('"algorithms" option must be an array of strings')
  if (options.trustedAudiences !== undefined && !Array.isArray(options.trustedAudiences)) {
    throw new TypeError('"trustedAudiences" option must be an array of strings')
  }
  if (!Number.isFinite(options.clockTolerance) || options.clockTolerance < 0) {
    throw new TypeError('"clockTolerance" option must be a non-negative number of seconds')
  }
  if (options.maxAge !== undefined && (!Number.isFinite(options.maxAge) || options.maxAge < 0)) {
    throw new TypeError('"maxAge" option must be a non-negative number of seconds')
  }
  if (options.currentDate !== undefined && !Number.isFinite(options.currentDate.getTime())) {
    throw new TypeError('"currentDate" option must be a valid Date')
  }
}

/** @internal */
export function readHeader(idToken: unknown): ProtectedHeaderParameters {
  const notJWS = 'The id_token is not a signed JWT in compact serialization (three base64url parts).'
  if (typeof idToken !== 'string' || idToken.split('.').length !== 3) throw invalid('format', notJWS)
  try {
    return decodeProtectedHeader(idToken)
  } catch {
    throw invalid('format', `${notJWS} Its header could not be decoded.`)
  }
}

/** @internal */
export function checkAlgorithm(alg: unknown, allowed: string[]): string {
  if (typeof alg !== 'string' || alg === '') throw invalid('alg', 'The id_token header has no "alg".')
  if (alg.toLowerCase() === 'none') {
    throw invalid('alg', 'The id_token is unsigned ("alg": "none"), which is never accepted.')
  }
  if (!allowed.includes(alg)) {
    const shown = /^[A-Za-z0-9+-]{1,16}$/.test(alg) ? `"${alg}"` : 'an algorithm'
    throw invalid(
      'alg',
      `The id_token is signed with ${shown}, which is not among the allowed algorithms ` +
        `(${allowed.filter((a) => a !== 'none').join(', ') || 'none configured'}). ` +
        'Check the "idTokenSigningAlgs" option.',
    )
  }
  return alg
}

/** @internal */
export async function verifyWithSecret(idToken: string, secret: string, options: JWTVerifyOptions): Promise<JWTPayload> {
  if (typeof secret !== 'string' || secret === '') {
    throw invalid('signature', 'The id_token is HMAC-signed but no "clientSecret" is configured to verify it.')
  }
  return (await jwtVerify(idToken, new TextEncoder().encode(secret), options)).payload
}

/** jose leaves several keys matching a kid-less header to the caller: each is tried in turn. @internal */
export async function verifyWithKeySet(idToken: string, keys: KeySource, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(idToken, keys.getKey, options)).payload
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err
    for await (const key of err) {
      try {
        return (await jwtVerify(idToken, key, options)).payload
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner
      }
    }
    throw new errors.JWSSignatureVerificationFailed()
  }
}

function toIdTokenError(err: unknown, options: VerifyIdTokenOptions): FreedomIdError {
  if (err instanceof FreedomIdError) return err
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return invalid('alg', 'The id_token "alg" cannot be used with its key source. Check "idTokenSigningAlgs".', err)
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    const refetched = (err as { refetched?: boolean }).refetched === true
    return invalid(
      'kid',
      `No key of the provider's JSON Web Key Set matches the id_token header${refetched ? ', in a copy fetched after the token arrived' : ''}. ` +
        'Check that "jwksURI" (or discovery) serves the keys of this issuer.',
    )
  }
  if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) {
    return claimError(err.claim, err.reason, options)
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return invalid('format', 'The id_token is not a well-formed signed JWT.', err)
  }
  return invalid(
    'signature',
    'The id_token signature does not verify. HS256/HS384/HS512 tokens are checked with "clientSecret", ' +
      'other algorithms with the provider\'s JSON Web Key Set: check the one this token uses.',
    err,
  )
}

function claimError(claim: string, reason: string, options: VerifyIdTokenOptions): FreedomIdError {
  const name = CLAIMS_CHECKED_BY_JOSE.includes(claim) ? claim : 'format'
  if (reason === 'missing') return invalid(name, `The id_token lacks the required "${claim}" claim.`)
  if (reason === 'invalid') return invalid(name, `The id_token "${claim}" claim is not a number.`)
  switch (claim) {
    case 'iss':
      return invalid('iss', `The id_token "iss" is not "${options.issuer}". Check the "issuer" option.`)
    case 'aud':
      return invalid('aud', `The id_token "aud" does not include "${options.clientID}". Check the "clientID" option.`)
    case 'exp':
      return invalid('exp', 'The id_token has expired. Check the server clock or raise "clockTolerance".')
    case 'nbf':
      return invalid('nbf', 'The id_token is not valid yet ("nbf"). Check the server clock.')
    default:
      return invalid(name, `The id_token "${claim}" claim failed its check.`)
  }
}

function checkClaims(payload: JWTPayload, options: VerifyIdTokenOptions): void {
  const now = Math.floor((options.currentDate ?? new Date()).getTime() / 1000)
  const tolerance = options.clockTolerance
  if ((payload.iat as number) > now + tolerance) {
    throw invalid('iat', 'The id_token "iat" is in the future. Check the server clock or raise "clockTolerance".')
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw invalid('sub', 'The id_token "sub" is not a non-empty string.')
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  const trusted = options.trustedAudiences ?? []
  if (audiences.some((aud) => aud !== options.clientID && !trusted.includes(aud as string))) {
    throw invalid(
      'aud',
      'The id_token is also meant for an audience this app does not trust (OpenID Connect Core §3.1.3.7 step 3). ' +
        'If the provider adds it on purpose, list it in the "trustedAudiences" option.',
    )
  }
  const severalAudiences = audiences.length > 1
  if ((payload.azp !== undefined || severalAudiences) && payload.azp !== options.clientID) {
    throw invalid(
      'azp',
      payload.azp === undefined
        ? 'The id_token has several audiences but no "azp" (OpenID Connect Core §3.1.3.7 step 4).'
        : `The id_token "azp" is not "${options.clientID}": it was issued to another client.`,
    )
  }
  if (typeof payload.nonce !== 'string' || options.nonce === '' || payload.nonce !== options.nonce) {
    throw invalid(
      'nonce',
      payload.nonce === undefined
        ? 'The id_token has no "nonce", but one was sent with the authorization request.'
        : 'The id_token "nonce" does not match the one sent with this login: it may be replayed from another one.',
    )
  }
  if (options.maxAge !== undefined) {
    const authTime = payload.auth_time
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) {
      throw invalid('auth_time', 'The id_token has no numeric "auth_time", which "maxAge" requires.')
    }
    if (now - authTime > options.maxAge + tolerance) {
      throw invalid('auth_time', `The user authenticated more than "maxAge" (${options.maxAge} s) ago.`)
    }
  }
}

function invalid(claim: string, message: string, cause?: unknown): FreedomIdError {
  return new FreedomIdError('ID_TOKEN_INVALID', message, { claim, ...(cause === undefined ? {} : { cause }) })
}
