import { FreedomIdError } from '../errors.js'
import type { HttpClient } from './http-client.js'
import { processProviderResponse } from './provider-response.js'

/** Claims Freedom ID returns about a user: `sub` plus the grant names without `read.` (DECISIONS.md row 10). */
export interface FreedomIdClaims {
  sub?: string
  /** OAuth2 user info names the user `id` (API.md §4.4). */
  id?: string
  freedom_id?: string
  email?: string
  emails?: string[]
  phone?: string
  phones?: string[]
  date_of_birth?: string
  firstname?: string
  lastname?: string
  patronymic?: string
  gender?: string
  country?: string
  nationality?: string
  identifier?: string
  cards?: unknown[]
  [claim: string]: unknown
}

/** The user's identifier in a claims object: `sub`, else `id`, else `freedom_id`. */
export function subjectOf(claims: FreedomIdClaims): string | undefined {
  for (const key of ['sub', 'id', 'freedom_id'] as const) {
    const value = claims[key]
    if (typeof value === 'string' && value !== '') return value
  }
  return undefined
}

/**
 * `GET userInfoURL` with `Authorization: Bearer <access_token>`; the answer must name its user. A signed answer
 * (`Content-Type: application/jwt`, OpenID Connect Core §5.3.2) is handed to `verifyJWT`, and refused as
 * `USERINFO_INVALID` when there is none (the OAuth2 flavour).
 */
export async function fetchUserInfo(
  http: HttpClient,
  userInfoURL: string,
  accessToken: string,
  verifyJWT?: (jwt: string) => Promise<Record<string, unknown>>,
): Promise<FreedomIdClaims> {
  const res = await http.send({
    method: 'GET',
    url: userInfoURL,
    operation: 'userinfo',
    bearer: accessToken,
    ...(verifyJWT && { headers: { accept: 'application/json, application/jwt' } }),
  })
  let claims: FreedomIdClaims
  if (res.jwt !== undefined) {
    if (!verifyJWT) throw new FreedomIdError('USERINFO_INVALID', "Freedom ID's userinfo response is a signed JWT, which this flow cannot verify.")
    claims = (await verifyJWT(res.jwt)) as FreedomIdClaims
  } else {
    claims = processProviderResponse(res, 'userinfo', 'USERINFO_INVALID') as FreedomIdClaims
  }
  if (subjectOf(claims) === undefined) {
    throw new FreedomIdError('USERINFO_INVALID', "Freedom ID's userinfo response names no user (no \"sub\" or \"id\").")
  }
  return claims
}
