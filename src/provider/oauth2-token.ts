import { FreedomIdError, isFreedomIdError } from '../errors.js'
import type { HttpClient } from './http-client.js'
import { processProviderResponse } from './provider-response.js'
import { postTokenRequest, requireString, type TokenEndpoint, type TokenResponse } from './token-exchange.js'

/** An OAuth2-flavour `authorization_code` exchange (API.md §4.2). */
export interface AuthorizationCodeExchange extends TokenEndpoint {
  /** The `authorization_code` of the callback. */
  code: string
}

/**
 * `POST tokenURL` with Basic client credentials and `{authorization_code, revoke_uri?}` (API.md §4.2). The answer
 * `{id?, access_token, refresh_token, access_expire_at, refresh_expire_at}` must carry an `access_token`.
 */
export async function exchangeAuthorizationCode(http: HttpClient, req: AuthorizationCodeExchange): Promise<TokenResponse> {
  return (await postTokenRequest(http, req, { authorization_code: req.code })) as TokenResponse
}

/**
 * The standard refresh (RFC 6749 §6): `POST tokenURL` with `grant_type=refresh_token&refresh_token=…` and the
 * endpoint's client authentication. Freedom ID documents this grant nowhere (API.md §10 question 4).
 *
 * @throws FreedomIdError `REFRESH_TOKEN_INVALID` when the provider refuses it; provider faults keep their codes.
 */
export async function refreshWithGrant(http: HttpClient, endpoint: TokenEndpoint, refreshToken: string): Promise<TokenResponse> {
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new FreedomIdError('REFRESH_TOKEN_INVALID', 'There is no refresh token to refresh with: the user has to sign in again.')
  }
  try {
    return (await postTokenRequest(http, endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken })) as TokenResponse
  } catch (err) {
    if (!isFreedomIdError(err, 'PROVIDER_ERROR')) throw err
    throw new FreedomIdError('REFRESH_TOKEN_INVALID', `${err.message} The user has to sign in again.`, {
      cause: err,
      ...(err.providerCode !== undefined && { providerCode: err.providerCode }),
      ...(err.providerMessage !== undefined && { providerMessage: err.providerMessage }),
    })
  }
}

/**
 * `PATCH tokenURL` with `Authorization: Bearer <refresh_token>` and no body (API.md §4.3, DECISIONS.md row 16).
 * Returns the new pair and its new `id`; a response without `refresh_token` keeps the old one valid (RFC 6749 §6).
 *
 * @throws FreedomIdError `REFRESH_TOKEN_INVALID` when Freedom ID refuses the refresh token (an error body or a 4xx);
 *   provider faults keep their codes (`PROVIDER_HTTP_ERROR`, `PROVIDER_TIMEOUT` …).
 */
export async function refreshTokenPair(http: HttpClient, tokenURL: string, refreshToken: string): Promise<TokenResponse> {
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new FreedomIdError('REFRESH_TOKEN_INVALID', 'There is no refresh token to refresh with: the user has to sign in again.')
  }
  const res = await http.send({ method: 'PATCH', url: tokenURL, operation: 'token refresh', bearer: refreshToken })
  let tokens: Record<string, unknown>
  try {
    tokens = processProviderResponse(res, 'token refresh', 'TOKEN_RESPONSE_INVALID')
  } catch (err) {
    if (!isFreedomIdError(err, 'PROVIDER_ERROR')) throw err
    throw new FreedomIdError('REFRESH_TOKEN_INVALID', `${err.message} The user has to sign in again.`, {
      cause: err,
      ...(err.providerCode !== undefined && { providerCode: err.providerCode }),
      ...(err.providerMessage !== undefined && { providerMessage: err.providerMessage }),
    })
  }
  requireString(tokens, 'access_token')
  return tokens as TokenResponse
}
