import type { Dispatcher } from 'undici'
import { HttpClient } from '../provider/http-client.js'
import { refreshTokenPair, refreshWithGrant } from '../provider/oauth2-token.js'
import { issuerURL } from '../provider/issuer-url.js'
import { DEFAULT_ISSUER } from '../sign-in/options.js'
import {
  fetchProfileStatus,
  requestProfile,
  type ProfileRequestResult,
  type ProfileStatusResult,
  type RequestProfileOptions,
} from '../provider/profile-request.js'
import type { ClientAuthMethod, TokenResponse } from '../provider/token-exchange.js'
import { fetchUserInfo, type FreedomIdClaims } from '../provider/userinfo.js'
import { waitForProfileStatus, type WaitForProfileOptions } from './wait-for-profile.js'

/** Options of {@link createFreedomIdClient}. */
export interface FreedomIdClientOptions {
  /** Base of the default URLs. Default `https://passport.freedompay.kz`. */
  issuer?: string
  /** The client id Freedom ID support issued. Required. */
  clientID: string
  /**
   * The client secret Freedom ID support issued. Required; never logged. The calls below authenticate with the user's
   * tokens, so it is not sent by them.
   */
  clientSecret: string
  /** Milliseconds each call may take. Default `10000`. */
  timeout?: number
  /** `PATCH` target of {@link FreedomIdClient.refreshTokens}. Default `${issuer}/api/v1/oauth/token` (DECISIONS.md row 16). */
  tokenURL?: string
  /**
   * How {@link FreedomIdClient.refreshTokens} refreshes by default. `'patch'`: Freedom ID's documented OAuth2 refresh,
   * `PATCH tokenURL` with `Bearer <refresh_token>` (API.md §4.3). `'refresh_token'`: the standard
   * `grant_type=refresh_token` at `oidcTokenURL` (RFC 6749 §6), authenticated as `clientAuthMethod` says; Freedom ID
   * does not document it. Default `'patch'`.
   */
  refreshGrant?: 'patch' | 'refresh_token'
  /** Where the `'refresh_token'` grant is posted. Default `${issuer}/api/v1/oidc/token`. */
  oidcTokenURL?: string
  /** Body of the `'refresh_token'` grant: `'json'` (as Freedom ID documents its token calls) or `'form'`. Default `'json'`. */
  tokenRequestFormat?: 'json' | 'form'
  /** Client authentication of the `'refresh_token'` grant, as the strategy's option. Default `'basic'`. */
  clientAuthMethod?: ClientAuthMethod
  /** Target of {@link FreedomIdClient.userInfo}. Default `${issuer}/api/v1/oauth/user` (DECISIONS.md row 11). */
  userInfoURL?: string
  /** Target of {@link FreedomIdClient.requestProfile}. Default `${issuer}/api/v1/oauth/get-profile`. */
  profileURL?: string
  /** Target of {@link FreedomIdClient.profileStatus}. Default `${issuer}/api/v1/oauth/get-profile/status`. */
  profileStatusURL?: string
  /** An undici dispatcher for the calls, instead of the client's own keep-alive agent. */
  dispatcher?: Dispatcher
}

/**
 * Freedom ID's OAuth2 API for what an app does after sign-in, usable without Passport. Every call has the timeout,
 * throws a `FreedomIdError` with a stable `code`, and never puts a token or secret in a message.
 */
export interface FreedomIdClient {
  /** Milliseconds each call may take (the `timeout` option). */
  readonly timeout: number
  /**
   * Exchanges a refresh token for a new pair and a new token record `id` (API.md §4.3). The old refresh token stops
   * working. Throws `REFRESH_TOKEN_INVALID` when Freedom ID refuses it: the user has to sign in again.
   */
  refreshTokens(refreshToken: string, options?: { grant?: 'patch' | 'refresh_token' }): Promise<TokenResponse>
  /** The user's data for the granted scopes (DECISIONS.md rows 10, 11). */
  userInfo(accessToken: string): Promise<FreedomIdClaims>
  /** Asks for the user's profile (needs the `read.profile` grant); a new UUID `request_id` unless `requestId` is given. */
  requestProfile(accessToken: string, options?: RequestProfileOptions): Promise<ProfileRequestResult>
  /** The status of a profile request, and its `profile.payload` once `completed`. */
  profileStatus(accessToken: string, requestId: string): Promise<ProfileStatusResult>
  /**
   * Polls {@link FreedomIdClient.profileStatus} with back-off until a final status (`completed`, `failed`,
   * `rejected`, `not_found`, `forbidden` …); `PROFILE_WAIT_TIMEOUT` after `timeout`; the signal's reason on abort.
   */
  waitForProfile(accessToken: string, requestId: string, options?: WaitForProfileOptions): Promise<ProfileStatusResult>
  /** Closes the keep-alive connections of the client's own agent. */
  close(): Promise<void>
}

function requiredString(options: Record<string, unknown>, name: string): string {
  const value = options[name]
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`createFreedomIdClient: "${name}" option is required`)
  return value
}

function url(options: Record<string, unknown>, name: string, fallback: string): string {
  const value = options[name] ?? fallback
  let parsed: URL | undefined
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new TypeError(`createFreedomIdClient: "${name}" option must be an absolute http(s) URL`)
  }
  return value as string
}

function oneOf<T extends string>(options: Record<string, unknown>, name: string, values: readonly T[], fallback: T): T {
  const value = options[name]
  if (value === undefined) return fallback
  if (!values.includes(value as T)) {
    throw new TypeError(`createFreedomIdClient: "${name}" option must be one of ${values.map((v) => `'${v}'`).join(', ')}`)
  }
  return value as T
}

function token(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`"${name}" must be a non-empty string`)
  return value
}

/**
 * Creates a {@link FreedomIdClient} on the same HTTP client as the strategy (undici, keep-alive, timeout, size cap).
 *
 * @throws TypeError naming the option when an option is missing or malformed.
 */
export function createFreedomIdClient(options: FreedomIdClientOptions): FreedomIdClient {
  if (options === null || typeof options !== 'object') throw new TypeError('createFreedomIdClient requires an options object')
  const o = options as unknown as Record<string, unknown>
  requiredString(o, 'clientID')
  requiredString(o, 'clientSecret')
  const issuer = url(o, 'issuer', DEFAULT_ISSUER)
  const tokenURL = url(o, 'tokenURL', issuerURL(issuer, '/api/v1/oauth/token'))
  const oidcTokenURL = url(o, 'oidcTokenURL', issuerURL(issuer, '/api/v1/oidc/token'))
  const userInfoURL = url(o, 'userInfoURL', issuerURL(issuer, '/api/v1/oauth/user'))
  const profileURL = url(o, 'profileURL', issuerURL(issuer, '/api/v1/oauth/get-profile'))
  const profileStatusURL = url(o, 'profileStatusURL', issuerURL(issuer, '/api/v1/oauth/get-profile/status'))
  const refreshGrant = oneOf(o, 'refreshGrant', ['patch', 'refresh_token'] as const, 'patch')
  const format = oneOf(o, 'tokenRequestFormat', ['json', 'form'] as const, 'json')
  const authMethod = oneOf(o, 'clientAuthMethod', ['basic', 'client_secret_basic', 'client_secret_post'] as const, 'basic')
  const timeout = options.timeout ?? 10_000
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0) {
    throw new TypeError('createFreedomIdClient: "timeout" option must be a positive integer')
  }
  const http = new HttpClient({ timeout, ...(options.dispatcher && { dispatcher: options.dispatcher }) })
  const profileStatus = async (accessToken: string, requestId: string): Promise<ProfileStatusResult> =>
    fetchProfileStatus(http, profileStatusURL, token(accessToken, 'accessToken'), requestId)

  return {
    timeout,
    refreshTokens: async (refreshToken, refreshOptions) => {
      const grant = refreshOptions?.grant ?? refreshGrant
      if (grant === 'patch') return refreshTokenPair(http, tokenURL, refreshToken)
      if (grant !== 'refresh_token') throw new TypeError('"grant" must be \'patch\' or \'refresh_token\'')
      const endpoint = { tokenURL: oidcTokenURL, clientID: options.clientID, clientSecret: options.clientSecret, format, authMethod }
      return refreshWithGrant(http, endpoint, refreshToken)
    },
    userInfo: async (accessToken) => fetchUserInfo(http, userInfoURL, token(accessToken, 'accessToken')),
    requestProfile: async (accessToken, requestOptions) =>
      requestProfile(http, profileURL, token(accessToken, 'accessToken'), requestOptions),
    profileStatus,
    waitForProfile: async (accessToken, requestId, waitOptions) => {
      token(accessToken, 'accessToken')
      token(requestId, 'requestId')
      return waitForProfileStatus(() => profileStatus(accessToken, requestId), waitOptions)
    },
    close: () => http.close(),
  }
}
