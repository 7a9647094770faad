/**
 * The session key under which the strategy stores the Freedom ID token record `id` of the login, so that
 * {@link createRevokeGuard} can tell whether the session belongs to a revoked token.
 *
 * @see {@link https://docs.freedompay.kz/api-12108733 | Token exchange}: the provider later POSTs `{"id": TOKEN_ID}`
 * to `revoke_uri`.
 */
export const SESSION_TOKEN_ID_KEY = 'freedomIdTokenId'

/**
 * The session key under which the token refresher keeps the token `id` the sign-in returned, once a refresh has
 * replaced {@link SESSION_TOKEN_ID_KEY} with a newer one: Freedom ID may POST either to `revoke_uri`, so the guard
 * checks both.
 */
export const SESSION_ORIGINAL_TOKEN_ID_KEY = 'freedomIdOriginalTokenId'

/** Where the strategy records a login's token `id` for provider sign-out; see the revoke router. */
export interface SessionBinder {
  bind(tokenId: string, sessionId: string | null, ttlSeconds?: number, options?: BindOptions): Promise<void>
  /** Forgets the binding of a session that has ended; the strategy calls it when the session store destroys it. */
  unbind?(sessionId: string): Promise<void>
  readonly ttl: number
}

/** Options of {@link SessionIndex.bind}. */
export interface BindOptions {
  /**
   * Keep the session among the sessions of the token id it was bound to before, instead of leaving it: a token
   * refresh binds the new token id this way, since Freedom ID may POST either the id the sign-in returned or the
   * newest one to `revoke_uri`. Default `false` (a new login replaces the old binding).
   */
  keepPrevious?: boolean
}

/** Default lifetime of bindings and revoked marks, in seconds: 30 days. */
export const DEFAULT_SESSION_INDEX_TTL = 30 * 24 * 60 * 60

/**
 * Maps a Freedom ID token id (the token record `id`, a UUID) to the ids of the sessions its login created, so that a
 * provider-initiated sign-out (`POST revoke_uri {"id"}`) can destroy them, and remembers revoked token ids so that
 * sessions the store cannot destroy by id (cookie sessions) or written after the revoke are caught by the guard.
 *
 * Only token ids the app bound at sign-in ever get state: a revoke of an unknown id costs one lookup and writes
 * nothing, so junk revokes can neither fill nor evict the index. A binding lives as long as its session: `unbind`
 * removes it when the session logs out, is destroyed, or is replaced by a new login.
 *
 * Token ids are compared case-insensitively (UUIDs). Every entry expires: keep `ttl` no shorter than the session's
 * lifetime (the session cookie's `maxAge`).
 */
export interface SessionIndex {
  /** Default lifetime of bindings and revoked marks, in seconds. */
  readonly ttl: number

  /**
   * Adds `sessionId` to the sessions of `tokenId` and records `sessionId → tokenId` (a session bound to another token
   * id before leaves it). A token id may hold several sessions. `sessionId` `null` is a session without a server-side
   * id (a cookie session): the token id is only remembered as bound, so that a revoke marks it for the guard. The
   * binding lives `ttlSeconds` (default {@link SessionIndex.ttl}); a later bind never shortens it. With
   * `keepPrevious`, the session also stays among the sessions of the token id it was bound to before (until that
   * binding expires or is revoked).
   */
  bind(tokenId: string, sessionId: string | null, ttlSeconds?: number, options?: BindOptions): Promise<void>

  /**
   * Removes the binding of `sessionId` (its `sessionId → tokenId` record and its place among the token id's sessions);
   * a token id left without sessions (and not bound sessionless) is forgotten. No-op for an unknown session id.
   */
  unbind(sessionId: string): Promise<void>

  /**
   * For a bound token id: removes and returns every session id bound to it, and marks it revoked for at least
   * {@link SessionIndex.ttl} (longer if a binding had a longer lifetime left). A repeat returns `[]` while the mark
   * lives. For a token id never bound (or whose bindings have all ended): `undefined`, and nothing is written. One
   * round trip in Redis.
   */
  revoke(tokenId: string): Promise<string[] | undefined>

  /** True while `tokenId` is marked revoked. One lookup (Redis: one `EXISTS`). */
  isRevoked(tokenId: string): Promise<boolean>

  /** The token id `sessionId` was bound to, while the binding lives (it outlives a revoke). */
  tokenIdOf(sessionId: string): Promise<string | undefined>
}

/** Token ids are UUIDs, which compare case-insensitively (RFC 9562 §4). */
export function normalizeTokenId(tokenId: string): string {
  return tokenId.toLowerCase()
}

/** Throws a `TypeError` naming the option unless `value` is a positive integer. */
export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`"${name}" option must be a positive integer`)
  }
}

/** Converts a lifetime in seconds to whole milliseconds; throws a `TypeError` unless it is a positive finite number. */
export function toTtlMs(name: string, seconds: unknown): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new TypeError(`"${name}" must be a positive number of seconds`)
  }
  return Math.ceil(seconds * 1000)
}

/** Throws a `TypeError` unless `value` is a positive integer number of milliseconds, or `0` for none. */
export function assertTimeout(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`"${name}" option must be a non-negative integer number of milliseconds`)
  }
}

/** Throws a `TypeError` unless `value` is a non-empty string. */
export function assertId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`"${name}" must be a non-empty string`)
}
