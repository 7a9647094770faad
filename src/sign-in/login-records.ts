import { randomBytes, createHash } from 'node:crypto'

/** A pending login, kept in the session between the redirect to Freedom ID and the callback. */
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

/** How many pending logins a session keeps (several tabs), newest first. */
export const MAX_PENDING_LOGINS = 10
/** How long a pending login stays valid. */
export const LOGIN_RECORD_TTL_MS = 10 * 60 * 1000

type RecordMap = Record<string, LoginRecord>
type SessionLike = Record<string, unknown>

/** 256 bits from the CSPRNG, base64url: for `state`, `nonce` and the PKCE verifier. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url')
}

/** The S256 PKCE challenge of a verifier (RFC 7636 §4.2). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

function records(session: SessionLike, key: string): RecordMap {
  const value = session[key]
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as RecordMap) : {}
}

/** Adds a record, dropping expired ones and all but the newest {@link MAX_PENDING_LOGINS}. */
export function storeLoginRecord(session: SessionLike, key: string, record: LoginRecord, now = Date.now()): void {
  const kept = Object.values(records(session, key))
    .filter((r) => r && typeof r.created === 'number' && now - r.created < LOGIN_RECORD_TTL_MS)
    .sort((a, b) => b.created - a.created)
    .slice(0, MAX_PENDING_LOGINS - 1)
  const next: RecordMap = { [record.state]: record }
  for (const r of kept) next[r.state] = r
  session[key] = next
}

/**
 * Finds the record of `state` and deletes it before returning it, so a state works once. Returns `undefined` when
 * there is none or it has expired.
 */
export function takeLoginRecord(session: SessionLike, key: string, state: string, now = Date.now()): LoginRecord | undefined {
  const map = records(session, key)
  if (!Object.hasOwn(map, state)) return undefined
  const record = map[state]
  const rest: RecordMap = { ...map }
  delete rest[state]
  if (Object.keys(rest).length === 0) delete session[key]
  else session[key] = rest
  if (!record || typeof record.created !== 'number' || now - record.created >= LOGIN_RECORD_TTL_MS) return undefined
  return record
}

/** Takes the newest valid record (the OAuth2 flavour with the state kept in the session only). */
export function takeNewestLoginRecord(session: SessionLike, key: string, now = Date.now()): LoginRecord | undefined {
  const newest = Object.values(records(session, key)).sort((a, b) => b.created - a.created)[0]
  return newest ? takeLoginRecord(session, key, newest.state, now) : undefined
}

/** Keeps `returnTo` only when it is a same-origin path (`/…`, not `//…` nor `/\…`). */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return undefined
  return value
}
