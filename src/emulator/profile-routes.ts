import { Router, type Request } from 'express'
import { EMULATOR_ERRORS, errorReply, validationReply } from './errors.js'
import { jsonRoute, type Reply } from './hooks.js'
import { randomAlnum, isUUID } from './random.js'
import { bearerToken, bodyObject, FieldReader, unsupportedBody } from './request.js'
import type { EmulatorState, ProfileRequest } from './state.js'
import { formatDatetime } from './time.js'

const PENDING_WINDOW_MS = 24 * 60 * 60 * 1000
const FINAL_WINDOW_MS = 60 * 60 * 1000

const STATUS_MESSAGES = {
  accepted: 'PROCESS: profile is pending',
  pending: 'PROCESS: profile is pending',
  completed: 'SUCCESS: profile is ready',
  failed: 'FAILED: profile could not be collected',
  error: 'ERROR: the profile service failed',
  rejected: 'REJECTED: the user did not allow the profile request',
  not_found: 'NOT_FOUND: the request is unknown or its data expired',
  forbidden: 'FORBIDDEN: the request belongs to another user',
} as const

type ProfileStatus = keyof typeof STATUS_MESSAGES

/**
 * A profile request's status at `now`: pending for `profileDelay` (for ever with the `pending` outcome), then its
 * outcome for 60 minutes; `not_found` once its data expired (24 hours pending, 60 minutes final).
 */
export function profileStatus(record: ProfileRequest, now: number, profileDelay: number): Exclude<ProfileStatus, 'accepted' | 'rejected'> {
  const elapsed = now - record.acceptedAt
  if (elapsed < profileDelay || record.outcome === 'pending') return elapsed >= PENDING_WINDOW_MS ? 'not_found' : 'pending'
  return elapsed - profileDelay >= FINAL_WINDOW_MS ? 'not_found' : record.outcome
}

function requestProfile(state: EmulatorState, req: Request): Reply {
  const token = state.liveAccessToken(bearerToken(req, state), 'oauth2')
  if (!token) return errorReply(EMULATOR_ERRORS.INVALID_ACCESS_TOKEN)
  const refused = unsupportedBody(req, state)
  if (refused) return refused
  const body = bodyObject(req)
  if (!body) return errorReply(EMULATOR_ERRORS.MALFORMED_REQUEST)
  const fields = new FieldReader(body)
  const requestID = fields.required('request_id')
  const createdAt = fields.required('created_at')
  if (requestID !== undefined && !isUUID(requestID)) fields.fail('request_id', 'The Request id must be a valid UUID.')
  if (createdAt !== undefined && Number.isNaN(Date.parse(createdAt))) {
    fields.fail('created_at', 'The Created at is not a valid date.')
  }
  const existing = requestID === undefined ? undefined : state.profileRequests.get(requestID.toLowerCase())
  if (existing && existing.sub !== token.sub) fields.fail('request_id', 'The Request id has already been taken.')
  if (fields.failed) return validationReply(fields.errors)

  const base = { request_id: requestID, freedom_id: token.sub }
  if (!token.scopes.includes('read.profile')) {
    return { status: 200, body: { ...base, status: 'rejected', status_message: 'REJECTED: the read.profile grant is missing' } }
  }
  const outcome = state.findUser(token.sub)?.profileOutcome ?? 'completed'
  if (!existing && outcome === 'rejected') {
    return { status: 200, body: { ...base, status: 'rejected', status_message: STATUS_MESSAGES.rejected } }
  }
  if (!existing) {
    state.profileRequests.set(requestID!.toLowerCase(), {
      requestId: requestID!,
      sub: token.sub,
      acceptedAt: state.now(),
      outcome: outcome === 'rejected' ? 'completed' : outcome,
      payload: randomAlnum(96),
    })
  }
  return { status: 200, body: { ...base, status: 'accepted', status_message: STATUS_MESSAGES.pending } }
}

function profileRequestStatus(state: EmulatorState, req: Request): Reply {
  const token = state.liveAccessToken(bearerToken(req, state), 'oauth2')
  if (!token) return errorReply(EMULATOR_ERRORS.INVALID_ACCESS_TOKEN)
  const fromQuery = (req.query as Record<string, unknown>).request_id
  const fields = new FieldReader({ request_id: fromQuery ?? bodyObject(req)?.request_id })
  const requestID = fields.required('request_id')
  if (fields.failed) return validationReply(fields.errors)

  const now = state.now()
  const record = state.profileRequests.get(requestID!.toLowerCase())
  let status: ProfileStatus
  if (!record) status = 'not_found'
  else if (record.sub !== token.sub) status = 'forbidden'
  else status = profileStatus(record, now, state.settings.profileDelay)
  if (status === 'pending') status = state.rules.pendingProfileStatus
  return {
    status: 200,
    body: {
      request_id: requestID,
      status,
      status_message: STATUS_MESSAGES[status],
      freedom_id: token.sub,
      ...(status === 'completed' && record ? { profile: { payload: record.payload } } : {}),
      datetime: formatDatetime(now),
    },
  }
}

/** Request profile and get profile status (API.md §4.5, §4.6; DECISIONS.md row 17). */
export function createProfileRouter(state: EmulatorState): Router {
  const router = Router()
  router.post('/api/v1/oauth/get-profile', jsonRoute(state, (req) => requestProfile(state, req), () => state.profileRequestHooks))
  router.get(
    '/api/v1/oauth/get-profile/status',
    jsonRoute(state, (req) => profileRequestStatus(state, req), () => state.profileStatusHooks),
  )
  return router
}
