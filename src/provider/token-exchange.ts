import { FreedomIdError } from '../errors.js'
import type { HttpClient } from './http-client.js'
import { processProviderResponse } from './provider-response.js'

/** What the token endpoint returns; `id` is the token record id Freedom ID later POSTs to `revoke_uri`. */
export interface TokenResponse {
  access_token: string
  refresh_token?: string
  id_token?: string
  token_type?: string
  expires_in?: number
  /** Token record id (UUID), DECISIONS.md row 7. */
  id?: string
  /** OAuth2 flavour: ISO-8601 expiry of the access token. */
  access_expire_at?: string
  /** OAuth2 flavour: ISO-8601 expiry of the refresh token. */
  refresh_expire_at?: string
  [field: string]: unknown
}

/**
 * How the client authenticates at a token endpoint. `'basic'`: `Authorization: Basic base64(id:secret)` of the raw
 * values, as Freedom ID documents it (API.md §1). `'client_secret_basic'`: the same with each value form-urlencoded
 * first (RFC 6749 §2.3.1). `'client_secret_post'`: `client_id` and `client_secret` in the body.
 */
export type ClientAuthMethod = 'basic' | 'client_secret_basic' | 'client_secret_post'

/** Where and how a code is exchanged, in either flavour. */
export interface TokenEndpoint {
  tokenURL: string
  clientID: string
  clientSecret: string
  format: 'json' | 'form'
  /** Default `'basic'`. */
  authMethod?: ClientAuthMethod
  /** Sent as `revoke_uri` (DECISIONS.md row 8). */
  revokeURI?: string
  /** Extra body parameters (the strategy's `tokenParams()` hook); they never replace ours. */
  extra?: Record<string, string>
}

/** An OIDC authorization-code exchange. */
export interface OidcCodeExchange extends TokenEndpoint {
  code: string
  redirectURI: string
  codeVerifier?: string
}

/**
 * `POST tokenURL` with Basic client credentials (as the docs show it) and `body` (plus `revoke_uri` and the extra
 * parameters) as JSON or a form; the answer must carry an `access_token`. @internal
 */
export async function postTokenRequest(
  http: HttpClient,
  endpoint: TokenEndpoint,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const body: Record<string, string> = { ...endpoint.extra, ...fields }
  if (endpoint.revokeURI !== undefined) body.revoke_uri = endpoint.revokeURI
  const method = endpoint.authMethod ?? 'basic'
  if (method === 'client_secret_post') Object.assign(body, { client_id: endpoint.clientID, client_secret: endpoint.clientSecret })
  const res = await http.send({
    method: 'POST',
    url: endpoint.tokenURL,
    operation: fields.grant_type === 'refresh_token' ? 'token refresh' : 'token',
    ...(method !== 'client_secret_post' && {
      basic: {
        username: endpoint.clientID,
        password: endpoint.clientSecret,
        encoding: method === 'client_secret_basic' ? ('form' as const) : ('raw' as const),
      },
    }),
    ...(endpoint.format === 'form' ? { form: body } : { json: body }),
  })
  const tokens = processProviderResponse(res, fields.grant_type === 'refresh_token' ? 'token refresh' : 'token', 'TOKEN_RESPONSE_INVALID')
  requireString(tokens, 'access_token')
  return tokens
}

/**
 * `POST tokenURL` with Basic client credentials and `{code, redirect_uri, grant_type, code_verifier?, revoke_uri?}`
 * (API.md §5.2; DECISIONS.md rows 4 and 8). Requires `access_token` and `id_token` in the answer.
 */
export async function exchangeOidcCode(http: HttpClient, req: OidcCodeExchange): Promise<TokenResponse> {
  const fields: Record<string, string> = { grant_type: 'authorization_code', code: req.code, redirect_uri: req.redirectURI }
  if (req.codeVerifier !== undefined) fields.code_verifier = req.codeVerifier
  const tokens = await postTokenRequest(http, req, fields)
  requireString(tokens, 'id_token')
  return tokens as TokenResponse
}

/** Throws `TOKEN_RESPONSE_INVALID` unless `field` is a non-empty string. @internal */
export function requireString(tokens: Record<string, unknown>, field: string): void {
  const value = tokens[field]
  if (typeof value !== 'string' || value === '') {
    throw new FreedomIdError('TOKEN_RESPONSE_INVALID', `Freedom ID's token response has no "${field}".`)
  }
}
