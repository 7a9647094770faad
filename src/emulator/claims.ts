import { USER_FIELDS } from './defaults.js'
import type { EmulatorUser } from './types.js'

/** The user's fields released by the granted scopes: `read.email` releases `email`, and so on. */
export function grantedFields(user: EmulatorUser, scopes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of USER_FIELDS) {
    if (scopes.includes(`read.${field}`) && user[field] !== undefined) out[field] = user[field]
  }
  return out
}
