import { randomBytes, createHash } from 'node:crypto'

/** A pending login, kept by the login state store between the redirect to Freedom ID and the callback. */
export interface LoginRecord {
  state: string
  nonce: string
  /** The exact `redirect_uri` sent to the provider, so the token request repeats it. */
  redirect_uri: string
  code_verifier?: string
  max_age?: number
  returnTo?: string
  /** Milliseconds since the epoch. */
  created: number
}

/** How many pending logins a browser keeps (several tabs), newest first. */
export const MAX_PENDING_LOGINS = 10
/** How long a pending login stays valid. */
export const LOGIN_RECORD_TTL_MS = 10 * 60 * 1000

/** 256 bits from the CSPRNG, base64url: for `state`, `nonce` and the PKCE verifier. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url')
}

/** The S256 PKCE challenge of a verifier (RFC 7636 §4.2). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

/** True when `record` is younger than {@link LOGIN_RECORD_TTL_MS} at `now`. */
export function isFresh(record: LoginRecord | undefined, now = Date.now()): record is LoginRecord {
  return !!record && typeof record.created === 'number' && now - record.created < LOGIN_RECORD_TTL_MS
}

/** Keeps `returnTo` only when it is a same-origin path (`/…`, not `//…` nor `/\…`). */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return undefined
  return value
}
