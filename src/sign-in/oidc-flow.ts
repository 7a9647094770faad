import { FreedomIdError } from '../errors.js'
import type { HttpClient } from '../provider/http-client.js'
import { verifyIdToken, type IdTokenClaims } from './id-token.js'
import type { KeySource } from '../provider/jwks.js'
import { pkceChallenge, type LoginRecord } from './login-state/record.js'
import { tokenEndpointClient, type ResolvedOptions } from './options.js'
import { buildProfile, type FreedomIdProfile } from './profile.js'
import { exchangeOidcCode, type TokenResponse } from '../provider/token-exchange.js'
import { fetchUserInfo } from '../provider/userinfo.js'
import { verifySignedUserInfo } from './signed-userinfo.js'

/** What a finished login hands to the verify callback. */
export interface CompletedLogin {
  tokens: TokenResponse & { claims?: IdTokenClaims }
  profile: FreedomIdProfile
}

/** The URL of Freedom ID's `/openid` endpoint for a pending login (API.md §5.1). `extra` never overrides ours. */
export function buildOidcAuthorizationURL(
  options: ResolvedOptions,
  record: LoginRecord,
  scope: readonly string[],
  extra: Record<string, unknown>,
): string {
  const url = new URL(options.authorizationURL)
  const params: Record<string, string> = {}
  for (const [key, value] of Object.entries(extra)) if (value !== undefined && value !== null) params[key] = String(value)
  Object.assign(params, {
    response_type: 'code',
    client_id: options.clientID,
    redirect_uri: record.redirect_uri,
    scope: scope.join(' '),
    state: record.state,
    nonce: record.nonce,
  })
  if (record.code_verifier !== undefined) {
    params.code_challenge = pkceChallenge(record.code_verifier)
    params.code_challenge_method = 'S256'
  }
  if (record.max_age !== undefined) params.max_age = String(record.max_age)
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  return url.toString()
}

/**
 * Finishes an OIDC login: exchanges the code, verifies the id_token against the record's nonce, fetches userinfo
 * (unless skipped) and checks its `sub`, and builds the profile.
 */
export async function completeOidcLogin(
  options: ResolvedOptions,
  http: HttpClient,
  keys: KeySource,
  record: LoginRecord,
  code: string,
  tokenParams: Record<string, string>,
): Promise<CompletedLogin> {
  const tokens = await exchangeOidcCode(http, {
    ...tokenEndpointClient(options),
    code,
    redirectURI: record.redirect_uri,
    extra: tokenParams,
    ...(record.code_verifier !== undefined && { codeVerifier: record.code_verifier }),
    ...(options.revokeURL !== undefined && { revokeURI: options.revokeURL }),
  })
  const claims = await verifyIdToken(tokens.id_token as string, {
    issuer: options.issuer,
    clientID: options.clientID,
    clientSecret: options.clientSecret,
    algorithms: options.idTokenSigningAlgs,
    clockTolerance: options.clockTolerance,
    nonce: record.nonce,
    trustedAudiences: options.trustedAudiences,
    keys,
    ...(record.max_age !== undefined && { maxAge: record.max_age }),
  })
  let merged: Record<string, unknown> = { ...claims }
  let raw = JSON.stringify(claims)
  if (!options.skipUserProfile) {
    const userinfo = await fetchUserInfo(http, options.userInfoURL, tokens.access_token, (jwt) =>
      verifySignedUserInfo(jwt, {
        issuer: options.issuer,
        clientID: options.clientID,
        clientSecret: options.clientSecret,
        algorithms: options.idTokenSigningAlgs,
        clockTolerance: options.clockTolerance,
        keys,
      }),
    )
    if (userinfo.sub !== claims.sub) {
      throw new FreedomIdError(
        'USERINFO_SUB_MISMATCH',
        'The userinfo response is about another user than the id_token ("sub" differs): the login was refused.',
      )
    }
    merged = { ...claims, ...userinfo }
    raw = JSON.stringify(userinfo)
  }
  return { tokens: { ...tokens, claims }, profile: buildProfile(merged, raw) }
}
