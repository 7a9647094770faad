import { randomUUID } from 'node:crypto'
import { FreedomIdError } from '../errors.js'
import type { HttpClient, ProviderResponse } from './http-client.js'
import { processProviderResponse } from './provider-response.js'

/**
 * A profile request's status (API.md §4.5, §4.6; DECISIONS.md row 17). `accepted` and `pending` mean "still working";
 * the others are final. Freedom ID may add statuses: the type stays open.
 */
export type ProfileRequestStatus =
  | 'accepted'
  | 'pending'
  | 'completed'
  | 'failed'
  | 'rejected'
  | 'not_found'
  | 'forbidden'
  | 'error'
  | (string & {})

/** The answer of `POST /api/v1/oauth/get-profile`. */
export interface ProfileRequestResult {
  request_id: string
  /** `accepted` for a new request; `rejected` without the `read.profile` grant. */
  status: ProfileRequestStatus
  status_message?: string
  freedom_id?: string
  [field: string]: unknown
}

/** The answer of `GET /api/v1/oauth/get-profile/status`. */
export interface ProfileStatusResult {
  request_id: string
  status: ProfileRequestStatus
  status_message?: string
  freedom_id?: string
  /** Once `completed`: `{ payload }`, an opaque string returned as is. */
  profile?: { payload?: string; [field: string]: unknown }
  /** ISO-8601, e.g. `2025-02-25T06:50:46.555757Z`. */
  datetime?: string
  [field: string]: unknown
}

/** Options of a profile request. */
export interface RequestProfileOptions {
  /** The request's id, a UUID the partner chooses. Default: a new random UUID (v4). */
  requestId?: string
  /** The request's creation time, sent as `created_at`. Default: now. */
  createdAt?: Date | string
}

/** Statuses after which polling goes on. */
export const PENDING_PROFILE_STATUSES: ReadonlySet<string> = new Set(['accepted', 'pending'])

function result<T>(res: ProviderResponse, operation: string): T {
  const body = res.body
  if (res.status < 400 && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new FreedomIdError('PROFILE_RESPONSE_INVALID', `Freedom ID's ${operation} response is not a JSON object.`)
  }
  const answer = processProviderResponse(res, operation, 'PROVIDER_ERROR')
  if (typeof answer.status !== 'string' || answer.status === '') {
    throw new FreedomIdError('PROFILE_RESPONSE_INVALID', `Freedom ID's ${operation} response has no "status".`)
  }
  return answer as T
}

function createdAtString(value: Date | string | undefined): string {
  if (value === undefined) return new Date().toISOString()
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString()
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value
  throw new TypeError('"createdAt" must be a valid Date or an ISO-8601 string')
}

/** `POST url` with `Authorization: Bearer <access_token>` and `{request_id, created_at}` (API.md §4.5). */
export async function requestProfile(
  http: HttpClient,
  url: string,
  accessToken: string,
  options: RequestProfileOptions = {},
): Promise<ProfileRequestResult> {
  const requestId = options.requestId ?? randomUUID()
  if (typeof requestId !== 'string' || requestId === '') throw new TypeError('"requestId" must be a non-empty string')
  const res = await http.send({
    method: 'POST',
    url,
    operation: 'profile request',
    bearer: accessToken,
    json: { request_id: requestId, created_at: createdAtString(options.createdAt) },
  })
  return result<ProfileRequestResult>(res, 'profile request')
}

/** `GET url?request_id=…` with `Authorization: Bearer <access_token>` (API.md §4.6; DECISIONS.md row 17). */
export async function fetchProfileStatus(
  http: HttpClient,
  url: string,
  accessToken: string,
  requestId: string,
): Promise<ProfileStatusResult> {
  if (typeof requestId !== 'string' || requestId === '') throw new TypeError('"requestId" must be a non-empty string')
  const target = new URL(url)
  target.searchParams.set('request_id', requestId)
  const res = await http.send({ method: 'GET', url: target.href, operation: 'profile status', bearer: accessToken })
  return result<ProfileStatusResult>(res, 'profile status')
}
