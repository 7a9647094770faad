/**
 * Every failure the library reports carries one of these codes, so that `switch (err.code)` narrows.
 *
 * Codes whose {@link FreedomIdError.status} is 4xx are the login's fault (the strategy calls `fail()`);
 * 5xx codes are provider or network faults (the strategy calls `error()`).
 */
export type FreedomIdErrorCode =
  /**
   * The provider sent the user back with `error=access_denied`, or with Freedom ID's OAuth2 cancel code
   * `error_code=100102`. The provider's `error_description` is in `providerMessage`, never in the message.
   */
  | 'ACCESS_DENIED'
  /**
   * The provider sent the user back with another `error` or `error_code` (in `providerCode`); its
   * `error_description` is in `providerMessage`, never in the message.
   */
  | 'AUTHORIZATION_ERROR'
  /** The callback's `state` (on a success or an error callback) matches no pending login of this session. */
  | 'STATE_MISSING'
  /** The callback carries the `state` of a pending login but no `code` (or `authorization_code`). */
  | 'CODE_MISSING'
  /**
   * The callback's `iss` (RFC 9207) is not the configured issuer, or it is missing although the provider's discovery
   * document advertises `authorization_response_iss_parameter_supported`: a possible mix-up attack.
   */
  | 'ISSUER_MISMATCH'
  /** The provider answered with its error body `{"error":{"message","code"}}` or a 4xx. */
  | 'PROVIDER_ERROR'
  /** The provider answered 5xx without an error body of its own. */
  | 'PROVIDER_HTTP_ERROR'
  /** The token response lacks a field the flow needs (`access_token`, `id_token`). */
  | 'TOKEN_RESPONSE_INVALID'
  /** A provider response is not JSON. */
  | 'RESPONSE_NOT_JSON'
  /** A provider response exceeds the size cap. */
  | 'RESPONSE_TOO_LARGE'
  /** The provider could not be reached (DNS, connection refused, reset). */
  | 'PROVIDER_UNREACHABLE'
  /** The provider did not answer within `timeout`. */
  | 'PROVIDER_TIMEOUT'
  /** An id_token check failed; `claim` names what failed. */
  | 'ID_TOKEN_INVALID'
  /** The signing keys could not be fetched or discovered. */
  | 'JWKS_UNAVAILABLE'
  /** The userinfo response is not an object with a `sub` (or `id`). */
  | 'USERINFO_INVALID'
  /** The userinfo `sub` differs from the id_token `sub`. */
  | 'USERINFO_SUB_MISMATCH'
  /** The authorization link returned by the provider points away from the provider's origin. */
  | 'AUTHORIZATION_LINK_INVALID'
  /** A profile request did not reach a final status before the wait's timeout. */
  | 'PROFILE_WAIT_TIMEOUT'
  /** The session's refresh token was refused: the user has to sign in again. */
  | 'REFRESH_TOKEN_INVALID'
  /** A profile request or profile status response is not an object with a `status`. */
  | 'PROFILE_RESPONSE_INVALID'
  /** Several `origins` are configured and the login request's host names none of them. */
  | 'HOST_NOT_ALLOWED'
  /** Passport's login step after a successful sign-in threw (e.g. a session without `regenerate`/`save`). */
  | 'SESSION_LOGIN_FAILED'
  /** The session index (Redis) did not answer within its `timeout`; the revoke route answers 503. */
  | 'SESSION_INDEX_TIMEOUT'
  /** Redis may evict the session index's keys (`maxmemory-policy` is not `noeviction`), with `evictionPolicy: 'error'`. */
  | 'SESSION_INDEX_EVICTION_POLICY'
  /** Redis did not answer the token refresher's `redis` option within its `timeout`. */
  | 'REFRESH_STORE_TIMEOUT'
  /** The token refresher found a hand-off in Redis that does not decrypt under the refresh token (altered or copied). */
  | 'REFRESH_STORE_INVALID'

/** Default HTTP status for each code. */
const STATUS: Record<FreedomIdErrorCode, number> = {
  ACCESS_DENIED: 401,
  AUTHORIZATION_ERROR: 401,
  STATE_MISSING: 401,
  CODE_MISSING: 400,
  ISSUER_MISMATCH: 401,
  PROVIDER_ERROR: 401,
  PROVIDER_HTTP_ERROR: 502,
  TOKEN_RESPONSE_INVALID: 502,
  RESPONSE_NOT_JSON: 502,
  RESPONSE_TOO_LARGE: 502,
  PROVIDER_UNREACHABLE: 502,
  PROVIDER_TIMEOUT: 504,
  ID_TOKEN_INVALID: 401,
  JWKS_UNAVAILABLE: 502,
  USERINFO_INVALID: 502,
  USERINFO_SUB_MISMATCH: 401,
  AUTHORIZATION_LINK_INVALID: 502,
  PROFILE_WAIT_TIMEOUT: 504,
  REFRESH_TOKEN_INVALID: 401,
  PROFILE_RESPONSE_INVALID: 502,
  HOST_NOT_ALLOWED: 400,
  SESSION_LOGIN_FAILED: 500,
  SESSION_INDEX_TIMEOUT: 503,
  REFRESH_STORE_TIMEOUT: 503,
  REFRESH_STORE_INVALID: 500,
  SESSION_INDEX_EVICTION_POLICY: 503,
}

/** Extra fields an error may carry. */
export interface FreedomIdErrorDetails {
  /** The underlying error. */
  cause?: unknown
  /** Overrides the default status of the code. */
  status?: number
  /** Freedom ID's numeric error code (`100101` …) from its error body or `error_code` callback. */
  providerCode?: number | string
  /** Freedom ID's own message from its error body, or a callback's `error_description` (never shown as the message). */
  providerMessage?: string
  /** Field-level validation messages from Freedom ID's validation error body. */
  providerErrors?: Record<string, string[]>
  /** For `ID_TOKEN_INVALID`: the claim or header parameter that failed (`iss`, `aud`, `nonce`, `signature` …). */
  claim?: string
}

/**
 * The one error class of this library. `code` is stable; messages may be reworded.
 *
 * `status`, `statusCode` and `expose` follow the convention of the `http-errors` package, which the error handlers of
 * Express (finalhandler), NestJS (`BaseExceptionFilter`) and Fastify read: a provider fault passed to `next(err)` or
 * thrown from a guard answers 502/504 there, with no custom handler.
 */
export class FreedomIdError extends Error {
  override name = 'FreedomIdError'
  readonly code: FreedomIdErrorCode
  /** HTTP status an app can answer with: 4xx for a failed login, 502/504 for provider faults. */
  readonly status: number
  /** The same as {@link FreedomIdError.status}, under the name Node's `http` module, Nest and Fastify read. */
  readonly statusCode: number
  /** Whether the message may be shown to the client: true for 4xx, false for 5xx (it may name internal hosts). */
  readonly expose: boolean
  readonly providerCode?: number | string
  readonly providerMessage?: string
  readonly providerErrors?: Record<string, string[]>
  readonly claim?: string

  constructor(code: FreedomIdErrorCode, message: string, details: FreedomIdErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.status = details.status ?? STATUS[code]
    this.statusCode = this.status
    this.expose = this.status < 500
    if (details.providerCode !== undefined) this.providerCode = details.providerCode
    if (details.providerMessage !== undefined) this.providerMessage = details.providerMessage
    if (details.providerErrors !== undefined) this.providerErrors = details.providerErrors
    if (details.claim !== undefined) this.claim = details.claim
  }

  /** True when the error is the login's fault (a Passport `fail()`), false for a provider or network fault. */
  get isLoginFailure(): boolean {
    return this.status < 500
  }
}

/** Narrows an unknown value to a {@link FreedomIdError}, optionally of one code. */
export function isFreedomIdError(value: unknown, code?: FreedomIdErrorCode): value is FreedomIdError {
  return value instanceof FreedomIdError && (code === undefined || value.code === code)
}
