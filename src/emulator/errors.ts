import type { Reply } from './hooks.js'

/** An error answer in Freedom ID's shape `{"error":{"message","code"}}`. */
export interface EmulatorErrorSpec {
  status: number
  code: number
  message: string
}

/**
 * The emulator's error answers. Only `100101` (and `100102`, as a callback `error_code`) appear in the Freedom ID
 * docs; the other codes and every HTTP status are emulator assumptions (see README.md).
 */
export const EMULATOR_ERRORS = {
  INVALID_CODE: { status: 400, code: 100101, message: 'Invalid authorization_code.' },
  REDIRECT_URI_MISMATCH: { status: 400, code: 100103, message: 'The redirect_uri does not match the authorization request.' },
  INVALID_CODE_VERIFIER: { status: 400, code: 100104, message: 'Invalid code_verifier.' },
  UNSUPPORTED_GRANT_TYPE: { status: 400, code: 100105, message: 'Unsupported grant_type.' },
  MALFORMED_REQUEST: { status: 400, code: 100106, message: 'The request is malformed.' },
  BODY_TOO_LARGE: { status: 413, code: 100107, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 100108, message: 'Unsupported Content-Type: send application/json.' },
  INVALID_CLIENT: { status: 401, code: 100401, message: 'Invalid client credentials.' },
  INVALID_ACCESS_TOKEN: { status: 401, code: 100402, message: 'Unauthenticated.' },
  INVALID_REFRESH_TOKEN: { status: 401, code: 100403, message: 'Invalid refresh_token.' },
  NOT_FOUND: { status: 404, code: 100404, message: 'Not found.' },
} as const satisfies Record<string, EmulatorErrorSpec>

/** The `error_code` appended to an OAuth2 redirect_uri when the user cancels (the RU docs' example value). */
export const CANCEL_ERROR_CODE = 100102

/** A Freedom ID error reply. */
export function errorReply(spec: EmulatorErrorSpec): Reply {
  const reply: Reply = { status: spec.status, body: { error: { message: spec.message, code: spec.code } } }
  if (spec.status === 401) reply.headers = { 'WWW-Authenticate': 'Bearer realm="freedom-id"' }
  return reply
}

/** Freedom ID's validation error reply (HTTP 422), e.g. `{"grants": ["The Grants field is required."]}`. */
export function validationReply(errors: Record<string, string[]>): Reply {
  return { status: 422, body: { error: { message: 'Error validating transmitted data.', errors } } }
}
