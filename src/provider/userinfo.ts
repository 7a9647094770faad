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

/** `GET userInfoURL` with `Authorization: Bearer <access_token>`; the answer must name its user. */
export async function fetchUserInfo(http: HttpClient, userInfoURL: string, accessToken: string): Promise<FreedomIdClaims> {
  const res = await http.send({ method: 'GET', url: userInfoURL, operation: 'userinfo', bearer: accessToken })
  const claims = processProviderResponse(res, 'userinfo', 'USERINFO_INVALID') as FreedomIdClaims
  if (subjectOf(claims) === undefined) {
    throw new FreedomIdError('USERINFO_INVALID', "Freedom ID's userinfo response names no user (no \"sub\" or \"id\").")
  }
  return claims
}
