import { FreedomIdError } from '../../errors.js'
import { toRedisCommand, replyString, withDeadline, type RedisClientLike, type RedisCommand } from './redis-command.js'
import {
  DEFAULT_SESSION_INDEX_TTL,
  assertId,
  assertPositiveInteger,
  assertTimeout,
  normalizeTokenId,
  toTtlMs,
  type BindOptions,
  type SessionIndex,
} from './types.js'

/** Default deadline of each index operation, in milliseconds. */
export const DEFAULT_SESSION_INDEX_TIMEOUT = 2000

/** Options of {@link RedisSessionIndex}. */
export interface RedisSessionIndexOptions {
  /**
   * A connected node-redis v5 client (`createClient()` from `redis`) or an `ioredis` instance, told apart by shape.
   * It may be the client connect-redis uses. Redis Cluster is not supported.
   */
  client: RedisClientLike
  /**
   * Prefix of every key. Keys are `${prefix}sessions:${tokenId}` (a set of session ids), `${prefix}owner:${sessionId}`,
   * `${prefix}bound:${tokenId}` (a token id bound without a session id: cookie sessions) and
   * `${prefix}revoked:${tokenId}`; all expire. Default `'freedom-id:'`.
   */
  prefix?: string
  /**
   * Default lifetime of bindings and revoked marks, in seconds; keep it no shorter than the session cookie's `maxAge`.
   * Default 30 days ({@link DEFAULT_SESSION_INDEX_TTL}).
   */
  ttl?: number
  /**
   * Deadline of each operation, in milliseconds: past it the call rejects with a `FreedomIdError` of code
   * `SESSION_INDEX_TIMEOUT` (the revoke route answers 503 so the provider retries; a login fails). A client that
   * queues commands while disconnected (node-redis's and ioredis's offline queue, on by default) would otherwise hold
   * each call for the whole outage; the queued command may still run when the client reconnects, which is harmless
   * (every operation is idempotent). `0` for no deadline. Default `2000`.
   */
  timeout?: number
  /**
   * What to do when the server may evict keys (its `maxmemory-policy` is not `noeviction`), checked once with
   * `INFO memory` at first use: `'warn'` emits a process warning (code `FREEDOM_ID_REDIS_EVICTION_POLICY`), `'error'`
   * makes every operation reject with `SESSION_INDEX_EVICTION_POLICY`, `'off'` skips the check. An evicted revoked mark
   * or binding silently undoes a sign-out; the `volatile-*` policies are no safer, since every key of the index has an
   * expiry and so is a candidate for them. Default `'warn'`.
   */
  evictionPolicy?: 'warn' | 'error' | 'off'
}

// KEYS: sessions set, owner key, sessionless mark. ARGV: session id ('' for none), ttl ms, token id, sessions key
// prefix, '1' to keep the previous binding. A bind never shortens a lifetime; a session bound to another token id
// before leaves that token's set, unless kept.
const BIND = `
local ttl = tonumber(ARGV[2])
if ARGV[1] == '' then
  if redis.call('PTTL', KEYS[3]) < ttl then redis.call('SET', KEYS[3], '1', 'PX', ttl) end
  return 1
end
local previous = redis.call('GET', KEYS[2])
if previous and previous ~= ARGV[3] and ARGV[5] ~= '1' then redis.call('SREM', ARGV[4] .. previous, ARGV[1]) end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
return 1`

// KEYS: owner key. ARGV: session id, sessions key prefix. An emptied set disappears by itself.
const UNBIND = `
local token = redis.call('GET', KEYS[1])
if not token then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[2] .. token, ARGV[1])
return 1`

// KEYS: sessions set, revoked mark, sessionless mark. ARGV: ttl ms. An unknown token id is only looked up (nil); an
// already revoked one returns no sessions. The mark lives as long as the longest of the ttl and the bindings' and an
// earlier mark's remaining lifetimes.
const REVOKE = `
if redis.call('EXISTS', KEYS[1], KEYS[3]) == 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {} end
  return false
end
local ttl = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local left = redis.call('PTTL', key)
  if left > ttl then ttl = left end
end
local ids = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SET', KEYS[2], '1', 'PX', ttl)
return ids`

/**
 * A {@link SessionIndex} in Redis, shared by every process of the app. Each call is one round trip: `bind`, `unbind`
 * and `revoke` are Lua scripts (atomic), `isRevoked` one `EXISTS`, `tokenIdOf` one `GET`; the first call is preceded
 * by the eviction-policy check. Every key is namespaced by `prefix` and expires; every call has a deadline.
 */
export class RedisSessionIndex implements SessionIndex {
  readonly ttl: number
  readonly prefix: string
  readonly timeout: number
  /** @internal */ readonly _send: RedisCommand
  /** @internal */ readonly _evictionPolicy: 'warn' | 'error' | 'off'
  /** @internal */ _policyCheck: Promise<void> | undefined

  constructor(options: RedisSessionIndexOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('RedisSessionIndex requires a client option')
    }
    this._send = toRedisCommand(options.client)
    this.prefix = options.prefix ?? 'freedom-id:'
    if (typeof this.prefix !== 'string') throw new TypeError('"prefix" option must be a string')
    this.ttl = options.ttl ?? DEFAULT_SESSION_INDEX_TTL
    assertPositiveInteger('ttl', this.ttl)
    this.timeout = options.timeout ?? DEFAULT_SESSION_INDEX_TIMEOUT
    assertTimeout('timeout', this.timeout)
    this._evictionPolicy = options.evictionPolicy ?? 'warn'
    if (!['warn', 'error', 'off'].includes(this._evictionPolicy)) {
      throw new TypeError('"evictionPolicy" option must be "warn", "error" or "off"')
    }
  }

  async bind(tokenId: string, sessionId: string | null, ttlSeconds: number = this.ttl, options: BindOptions = {}): Promise<void> {
    assertId('tokenId', tokenId)
    if (sessionId !== null) assertId('sessionId', sessionId)
    const ttl = toTtlMs('ttlSeconds', ttlSeconds)
    const token = normalizeTokenId(tokenId)
    const keys = [this._sessionsKey(token), this._ownerKey(sessionId ?? ''), this._boundKey(token)]
    const keep = options.keepPrevious ? '1' : '0'
    await this._call(['EVAL', BIND, '3', ...keys, sessionId ?? '', String(ttl), token, this._sessionsKey(''), keep])
  }

  async unbind(sessionId: string): Promise<void> {
    assertId('sessionId', sessionId)
    await this._call(['EVAL', UNBIND, '1', this._ownerKey(sessionId), sessionId, this._sessionsKey('')])
  }

  async revoke(tokenId: string): Promise<string[] | undefined> {
    assertId('tokenId', tokenId)
    const token = normalizeTokenId(tokenId)
    const reply = await this._call([
      'EVAL',
      REVOKE,
      '3',
      this._sessionsKey(token),
      this._revokedKey(token),
      this._boundKey(token),
      String(this.ttl * 1000),
    ])
    return Array.isArray(reply) ? reply.map(replyString) : undefined
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    assertId('tokenId', tokenId)
    const reply = await this._call(['EXISTS', this._revokedKey(normalizeTokenId(tokenId))])
    return Number(reply) > 0
  }

  async tokenIdOf(sessionId: string): Promise<string | undefined> {
    assertId('sessionId', sessionId)
    const reply = await this._call(['GET', this._ownerKey(sessionId)])
    return reply === null || reply === undefined ? undefined : replyString(reply)
  }

  /** @internal One command under the deadline, after the eviction-policy check. */
  async _call(args: [string, ...string[]]): Promise<unknown> {
    if (this._evictionPolicy !== 'off') await this._checkEvictionPolicy()
    return this._withDeadline(this._send(args))
  }

  /** @internal */
  _withDeadline<T>(call: Promise<T>): Promise<T> {
    return withDeadline(
      call,
      this.timeout,
      () => new FreedomIdError('SESSION_INDEX_TIMEOUT', `Redis did not answer the session index within ${this.timeout} ms (is it reachable?).`),
    )
  }

  /**
   * @internal Reads `maxmemory_policy` from `INFO memory` once. A server that refuses `INFO` gets a warning that the
   * policy could not be checked; a timeout or a connection error leaves the check for the next call.
   */
  _checkEvictionPolicy(): Promise<void> {
    this._policyCheck ??= this._withDeadline(this._send(['INFO', 'memory'])).then(
      (reply) => {
        const policy = /^maxmemory_policy:(\S+)/m.exec(replyString(reply))?.[1]
        if (policy === undefined) return warn('could not read the Redis eviction policy (maxmemory_policy in INFO memory)')
        if (policy === 'noeviction') return
        const message =
          `Redis maxmemory-policy is "${policy}": Redis may evict the session index's keys, which silently undoes ` +
          'provider sign-outs. Set maxmemory-policy noeviction (volatile-* policies evict these keys too: all of them expire).'
        if (this._evictionPolicy === 'error') throw new FreedomIdError('SESSION_INDEX_EVICTION_POLICY', message)
        warn(message)
      },
      (err: unknown) => {
        if (!isReplyError(err)) {
          this._policyCheck = undefined
          return
        }
        warn(`could not check the Redis eviction policy: INFO memory failed (${(err as Error).message})`)
      },
    )
    return this._policyCheck
  }

  /** @internal The key of a token id's set of session ids; with `''`, the prefix the scripts append token ids to. */
  _sessionsKey(tokenId: string): string {
    return `${this.prefix}sessions:${tokenId}`
  }

  /** @internal */
  _revokedKey(tokenId: string): string {
    return `${this.prefix}revoked:${tokenId}`
  }

  /** @internal */
  _boundKey(tokenId: string): string {
    return `${this.prefix}bound:${tokenId}`
  }

  /** @internal */
  _ownerKey(sessionId: string): string {
    return `${this.prefix}owner:${sessionId}`
  }
}

function warn(message: string): void {
  process.emitWarning(message, { code: 'FREEDOM_ID_REDIS_EVICTION_POLICY' })
}

/**
 * An error reply of the server, not a connection fault: an instance of a class named `ErrorReply` (node-redis v5,
 * which throws its subclasses `SimpleError` and `BlobError`) or `ReplyError` (ioredis), found along the prototype chain.
 */
function isReplyError(err: unknown): boolean {
  for (let proto = err instanceof Error ? Object.getPrototypeOf(err) : null; proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name
    if (name === 'ErrorReply' || name === 'ReplyError') return true
  }
  return false
}
