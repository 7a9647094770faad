import type { IncomingMessage } from 'node:http'
import { isFresh, LOGIN_RECORD_TTL_MS, MAX_PENDING_LOGINS, type LoginRecord } from './record.js'
import type { LoginStateStore } from './types.js'

type RecordMap = Record<string, LoginRecord>
type SessionLike = Record<string, unknown> & {
  save?: (cb: (err?: unknown) => void) => void
  cookie?: { maxAge?: number | null; originalMaxAge?: number | null }
}

/** Options of {@link sessionLoginState}. */
export interface SessionLoginStateOptions {
  /** Key in `req.session` under which the one-time login records live. Default `'freedom-id'`. */
  key?: string
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
  // Assigned, never `delete`d: @fastify/secure-session's session is a Proxy without a deleteProperty trap, where
  // `delete` leaves the record in place; every session reads `undefined` as absent and drops it when serialized.
  session[key] = Object.keys(rest).length === 0 ? undefined : rest
  return isFresh(record, now) ? record : undefined
}

/** Takes the newest valid record (the OAuth2 flavour with the state kept in the session only). */
export function takeNewestLoginRecord(session: SessionLike, key: string, now = Date.now()): LoginRecord | undefined {
  const newest = Object.values(records(session, key)).sort((a, b) => b.created - a.created)[0]
  return newest ? takeLoginRecord(session, key, newest.state, now) : undefined
}

/**
 * A session that holds nothing but pending logins (an anonymous visitor who started a sign-in) lives only as long as
 * its logins: its express-session cookie `maxAge` (which the store's expiry follows) is cut to the login record's
 * 10 minutes, and the app's own `maxAge` is kept beside the records and restored when a login's callback takes its
 * record. Sessions holding anything else (a signed-in user, the app's data) are left alone.
 */
function expireWithPendingLogins(session: SessionLike, key: string): void {
  const cookie = session.cookie
  const maxAgeKey = `${key}:maxAge`
  if (!cookie || typeof cookie !== 'object') return
  const others = Object.keys(session).some((k) => k !== 'cookie' && k !== key && k !== maxAgeKey && session[k] !== undefined)
  if (others) return
  const original = session[maxAgeKey] ?? cookie.originalMaxAge
  if (typeof original !== 'number' || original <= LOGIN_RECORD_TTL_MS) return
  session[maxAgeKey] = original
  cookie.maxAge = LOGIN_RECORD_TTL_MS
}

/** Gives the session back the app's cookie `maxAge` once a login's callback has taken its record. */
function restoreMaxAge(session: SessionLike, key: string): void {
  const maxAgeKey = `${key}:maxAge`
  const original = session[maxAgeKey]
  if (typeof original !== 'number') return
  if (session.cookie && typeof session.cookie === 'object') session.cookie.maxAge = original
  session[maxAgeKey] = undefined
}

function sessionOf(req: IncomingMessage): SessionLike {
  const session = (req as unknown as { session?: SessionLike | null }).session
  if (!session || typeof session !== 'object') {
    throw new Error(
      'FreedomIdStrategy needs sessions: add express-session (or cookie-session) before passport, or keep pending ' +
        'logins in a cookie with the "loginState: cookieLoginState({ secret })" option.',
    )
  }
  return session
}

function save(session: SessionLike): Promise<void> {
  const saveFn = session.save
  if (typeof saveFn !== 'function') return Promise.resolve()
  return new Promise((resolve, reject) => saveFn.call(session, (err) => (err ? reject(err) : resolve())))
}

/**
 * The default {@link LoginStateStore}: pending logins live in `req.session[key]` (express-session, cookie-session or
 * anything that sets `req.session`), at most {@link MAX_PENDING_LOGINS} per session, each valid 10 minutes. `put`
 * saves the session (when it has `save()`) before the strategy redirects. A session holding only pending logins
 * expires with them: its cookie `maxAge` is 10 minutes until a callback takes a record, then the app's again.
 */
export function sessionLoginState(options: SessionLoginStateOptions = {}): LoginStateStore {
  const key = options.key ?? 'freedom-id'
  return {
    async put(req, _res, record, putOptions) {
      const session = sessionOf(req)
      if (putOptions?.only) session[key] = undefined
      storeLoginRecord(session, key, record)
      expireWithPendingLogins(session, key)
      await save(session)
    },
    async take(req, _res, state) {
      const session = sessionOf(req)
      const record = state === null ? takeNewestLoginRecord(session, key) : takeLoginRecord(session, key, state)
      if (record) restoreMaxAge(session, key)
      return record
    },
  }
}
