import {
  DEFAULT_SESSION_INDEX_TTL,
  assertId,
  assertPositiveInteger,
  normalizeTokenId,
  toTtlMs,
  type BindOptions,
  type SessionIndex,
} from './types.js'
import { OrderedTable } from './ordered-table.js'

/** Options of {@link MemorySessionIndex}. */
export interface MemorySessionIndexOptions {
  /**
   * Default lifetime of bindings and revoked marks, in seconds; keep it no shorter than the session cookie's `maxAge`.
   * Default 30 days ({@link DEFAULT_SESSION_INDEX_TTL}).
   */
  ttl?: number
  /**
   * Most entries each table holds (bindings by token id, owners by session id, revoked token ids); when a table is
   * full the oldest entry is evicted. Only token ids bound at sign-in get entries, so revokes of unknown ids never
   * evict anything. Default `100000`.
   */
  maxEntries?: number
  /** Clock in milliseconds since the epoch, for tests. Default `Date.now`. */
  now?: () => number
}

interface Binding {
  sessionIds: Set<string>
  /** Bound without a session id (a cookie session): kept until it expires or is revoked. */
  sessionless: boolean
  expiresAt: number
}

interface Owner {
  tokenId: string
  expiresAt: number
}

const DEFAULT_MAX_ENTRIES = 100_000
const SWEEP_BATCH = 64

/**
 * A {@link SessionIndex} in this process's memory: bounded, with expiring entries. It suits a single process
 * (with express-session's `MemoryStore` or cookie sessions); with several processes use {@link RedisSessionIndex}.
 */
export class MemorySessionIndex implements SessionIndex {
  readonly ttl: number
  /** @internal */ readonly _maxEntries: number
  /** @internal */ readonly _now: () => number
  /** @internal */ readonly _bindings = new OrderedTable<Binding>()
  /** @internal */ readonly _owners = new OrderedTable<Owner>()
  /** @internal */ readonly _revoked = new OrderedTable<number>()

  constructor(options: MemorySessionIndexOptions = {}) {
    this.ttl = options.ttl ?? DEFAULT_SESSION_INDEX_TTL
    assertPositiveInteger('ttl', this.ttl)
    this._maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    assertPositiveInteger('maxEntries', this._maxEntries)
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('"now" option must be a function')
    }
    this._now = options.now ?? Date.now
  }

  async bind(tokenId: string, sessionId: string | null, ttlSeconds: number = this.ttl, options: BindOptions = {}): Promise<void> {
    assertId('tokenId', tokenId)
    if (sessionId !== null) assertId('sessionId', sessionId)
    const now = this._now()
    const expiresAt = now + toTtlMs('ttlSeconds', ttlSeconds)
    const key = normalizeTokenId(tokenId)
    if (sessionId !== null) {
      const previous = this._live(this._owners, sessionId, now)
      if (previous !== undefined && previous.tokenId !== key && !options.keepPrevious) this._leave(previous.tokenId, sessionId, now)
    }
    const binding = this._live(this._bindings, key, now)
    const sessionIds = new Set(binding?.sessionIds)
    if (sessionId !== null) sessionIds.add(sessionId)
    this._bindings.delete(key)
    this._put(this._bindings, key, {
      sessionIds,
      sessionless: (binding?.sessionless ?? false) || sessionId === null,
      expiresAt: Math.max(expiresAt, binding?.expiresAt ?? 0),
    })
    if (sessionId === null) return
    this._owners.delete(sessionId)
    this._put(this._owners, sessionId, { tokenId: key, expiresAt })
  }

  async unbind(sessionId: string): Promise<void> {
    assertId('sessionId', sessionId)
    const now = this._now()
    const owner = this._live(this._owners, sessionId, now)
    if (owner === undefined) return
    this._owners.delete(sessionId)
    this._leave(owner.tokenId, sessionId, now)
  }

  async revoke(tokenId: string): Promise<string[] | undefined> {
    assertId('tokenId', tokenId)
    const now = this._now()
    const key = normalizeTokenId(tokenId)
    const binding = this._live(this._bindings, key, now)
    if (binding === undefined) return (await this.isRevoked(key)) ? [] : undefined
    this._bindings.delete(key)
    const until = Math.max(now + this.ttl * 1000, binding.expiresAt, this._revoked.get(key) ?? 0)
    this._revoked.delete(key)
    this._put(this._revoked, key, until)
    return [...binding.sessionIds]
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    assertId('tokenId', tokenId)
    const key = normalizeTokenId(tokenId)
    const until = this._revoked.get(key)
    if (until === undefined) return false
    if (until > this._now()) return true
    this._revoked.delete(key)
    return false
  }

  async tokenIdOf(sessionId: string): Promise<string | undefined> {
    assertId('sessionId', sessionId)
    return this._live(this._owners, sessionId, this._now())?.tokenId
  }

  /** Number of live-or-unswept entries per table, for tests and monitoring. */
  get size(): { bindings: number; owners: number; revoked: number } {
    return { bindings: this._bindings.size, owners: this._owners.size, revoked: this._revoked.size }
  }

  /** @internal Takes `sessionId` out of the sessions of `tokenId`, forgetting the token id when none is left. */
  _leave(tokenId: string, sessionId: string, now: number): void {
    const binding = this._live(this._bindings, tokenId, now)
    if (binding === undefined) return
    binding.sessionIds.delete(sessionId)
    if (binding.sessionIds.size === 0 && !binding.sessionless) this._bindings.delete(tokenId)
  }

  /** @internal */
  _live<T extends { expiresAt: number }>(map: OrderedTable<T>, key: string, now: number): T | undefined {
    const entry = map.get(key)
    if (entry === undefined || entry.expiresAt > now) return entry
    map.delete(key)
    return undefined
  }

  /** @internal Inserts at the newest end, drops expired entries at the oldest end, then the oldest beyond the cap. */
  _put<T extends { expiresAt: number } | number>(table: OrderedTable<T>, key: string, value: T): void {
    table.set(key, value)
    const now = this._now()
    for (let swept = 0; swept < SWEEP_BATCH; swept++) {
      const oldest = table.oldest()
      if (oldest === undefined || expiry(oldest[1]) > now) break
      table.delete(oldest[0])
    }
    while (table.size > this._maxEntries) table.delete(table.oldest()![0])
  }
}

function expiry(value: { expiresAt: number } | number): number {
  return typeof value === 'number' ? value : value.expiresAt
}
