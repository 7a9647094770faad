import { toRedisCommand, replyString, type RedisClientLike, type RedisCommand } from './redis-command.js'
import {
  DEFAULT_SESSION_INDEX_TTL,
  assertId,
  assertPositiveInteger,
  normalizeTokenId,
  toTtlMs,
  type SessionIndex,
} from './types.js'

/** Options of {@link RedisSessionIndex}. */
export interface RedisSessionIndexOptions {
  /**
   * A connected node-redis v5 client (`createClient()` from `redis`) or an `ioredis` instance, told apart by shape.
   * It may be the client connect-redis uses. Redis Cluster is not supported. Configure the client's own command
   * timeout or offline queue: a call that never settles holds the revoke request (and the guard) open.
   */
  client: RedisClientLike
  /**
   * Prefix of every key. Keys are `${prefix}sessions:${tokenId}` (a set of session ids),
   * `${prefix}revoked:${tokenId}` and `${prefix}owner:${sessionId}`; all expire. Default `'freedom-id:'`.
   */
  prefix?: string
  /**
   * Default lifetime of bindings and revoked marks, in seconds; keep it no shorter than the session cookie's `maxAge`.
   * Default 30 days ({@link DEFAULT_SESSION_INDEX_TTL}).
   */
  ttl?: number
}

// KEYS: sessions set, owner key. ARGV: session id, ttl ms, token id. A bind never shortens the set's lifetime.
const BIND = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
return 1`

// KEYS: sessions set, revoked mark. ARGV: ttl ms. The mark lives as long as the longest of the ttl, the set's
// remaining lifetime and an earlier mark's.
const REVOKE = `
local ttl = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
left = redis.call('PTTL', KEYS[2])
if left > ttl then ttl = left end
local ids = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ttl)
return ids`

/**
 * A {@link SessionIndex} in Redis, shared by every process of the app. Each call is one round trip: `bind` and
 * `revoke` are Lua scripts (atomic), `isRevoked` one `EXISTS`, `tokenIdOf` one `GET`. Every key is namespaced by
 * `prefix` and expires.
 */
export class RedisSessionIndex implements SessionIndex {
  readonly ttl: number
  readonly prefix: string
  /** @internal */ readonly _send: RedisCommand

  constructor(options: RedisSessionIndexOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('RedisSessionIndex requires a client option')
    }
    this._send = toRedisCommand(options.client)
    this.prefix = options.prefix ?? 'freedom-id:'
    if (typeof this.prefix !== 'string') throw new TypeError('"prefix" option must be a string')
    this.ttl = options.ttl ?? DEFAULT_SESSION_INDEX_TTL
    assertPositiveInteger('ttl', this.ttl)
  }

  async bind(tokenId: string, sessionId: string, ttlSeconds: number = this.ttl): Promise<void> {
    assertId('tokenId', tokenId)
    assertId('sessionId', sessionId)
    const ttl = toTtlMs('ttlSeconds', ttlSeconds)
    const token = normalizeTokenId(tokenId)
    const keys = [this._sessionsKey(token), this._ownerKey(sessionId)]
    await this._send(['EVAL', BIND, '2', ...keys, sessionId, String(ttl), token])
  }

  async revoke(tokenId: string): Promise<string[]> {
    assertId('tokenId', tokenId)
    const token = normalizeTokenId(tokenId)
    const reply = await this._send([
      'EVAL',
      REVOKE,
      '2',
      this._sessionsKey(token),
      this._revokedKey(token),
      String(this.ttl * 1000),
    ])
    return Array.isArray(reply) ? reply.map(replyString) : []
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    assertId('tokenId', tokenId)
    const reply = await this._send(['EXISTS', this._revokedKey(normalizeTokenId(tokenId))])
    return Number(reply) > 0
  }

  async tokenIdOf(sessionId: string): Promise<string | undefined> {
    assertId('sessionId', sessionId)
    const reply = await this._send(['GET', this._ownerKey(sessionId)])
    return reply === null || reply === undefined ? undefined : replyString(reply)
  }

  /** @internal */
  _sessionsKey(tokenId: string): string {
    return `${this.prefix}sessions:${tokenId}`
  }

  /** @internal */
  _revokedKey(tokenId: string): string {
    return `${this.prefix}revoked:${tokenId}`
  }

  /** @internal */
  _ownerKey(sessionId: string): string {
    return `${this.prefix}owner:${sessionId}`
  }
}
