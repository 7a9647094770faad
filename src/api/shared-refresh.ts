import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { FreedomIdError, isFreedomIdError } from '../errors.js'
import type { TokenResponse } from '../provider/token-exchange.js'
import { replyString, toRedisCommand, withDeadline, type RedisClientLike, type RedisCommand } from '../sign-out/session-index/redis-command.js'

/** Options of the token refresher's `redis` option: refresh single-flight across processes. */
export interface SharedRefreshOptions {
  /** A connected node-redis v5 client or ioredis instance (the session store's will do). Required. */
  client: RedisClientLike
  /** Prefix of the lock and hand-off keys. Default `'freedom-id:refresh:'`. */
  prefix?: string
  /**
   * Milliseconds a process holds the lock of one refresh token at most; longer than the client's `timeout`, so that
   * no other process can take the lock while the refresh call may still succeed. Default: the client's `timeout`
   * plus 5000 (15000 with the default client).
   */
  lockTtl?: number
  /**
   * Deadline of each Redis command, in milliseconds: past it the refresh fails with `REFRESH_STORE_TIMEOUT` (503),
   * which the refresher treats as it does a provider fault (the request goes on while the access token is valid).
   * The client's offline queue would otherwise hold each refresh for the whole outage. `0` for none. Default `2000`.
   */
  timeout?: number
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`
const POLL_MS = 25
const INVALID = '{"invalid":true}'

/**
 * One refresh per refresh token across every process on one Redis: the first takes a short lock
 * (`SET lock NX PX lockTtl`) and refreshes; the others wait for the new pair, which the winner leaves for `reuseMs`,
 * encrypted (AES-256-GCM) with a key derived from the old refresh token, so only holders of that token can read it.
 * A refused refresh token is handed over the same way. Keys are named by a hash, never by the token.
 * @internal
 */
export function createSharedRefresh(options: SharedRefreshOptions, reuseMs: number, callTimeout = 10_000) {
  if (typeof options !== 'object' || options === null) throw new TypeError('createTokenRefresher: "redis" option must be { client }')
  const command: RedisCommand = toRedisCommand(options.client)
  const prefix = options.prefix ?? 'freedom-id:refresh:'
  if (typeof prefix !== 'string') throw new TypeError('createTokenRefresher: "redis.prefix" option must be a string')
  const lockTtl = options.lockTtl ?? callTimeout + 5000
  if (!Number.isSafeInteger(lockTtl) || lockTtl <= 0) {
    throw new TypeError('createTokenRefresher: "redis.lockTtl" option must be a positive integer number of milliseconds')
  }
  if (lockTtl <= callTimeout) {
    throw new TypeError(
      `createTokenRefresher: "redis.lockTtl" option (${lockTtl} ms) must be longer than the client's timeout (${callTimeout} ms): ` +
        'a lock that expires while its refresh call may still succeed lets another process spend the same refresh token',
    )
  }
  const timeout = options.timeout ?? 2000
  if (!Number.isSafeInteger(timeout) || timeout < 0) {
    throw new TypeError('createTokenRefresher: "redis.timeout" option must be a non-negative integer number of milliseconds')
  }
  const keep = String(Math.max(reuseMs, 1000))
  const send: RedisCommand = (args) =>
    withDeadline(
      command(args),
      timeout,
      () => new FreedomIdError('REFRESH_STORE_TIMEOUT', `Redis did not answer the token refresher within ${timeout} ms (is it reachable?).`),
    )

  return async function run(refreshToken: string, refresh: () => Promise<TokenResponse>): Promise<TokenResponse> {
    const name = createHash('sha256').update(`name\0${refreshToken}`).digest('hex')
    const key = createHash('sha256').update(`key\0${refreshToken}`).digest()
    const resultKey = `${prefix}${name}:result`
    const lockKey = `${prefix}${name}:lock`
    const deadline = Date.now() + 2 * lockTtl
    for (;;) {
      const stored = await send(['GET', resultKey])
      if (stored !== null && stored !== undefined) return open(key, replyString(stored))
      const owner = randomBytes(16).toString('hex')
      if ((await send(['SET', lockKey, owner, 'NX', 'PX', String(lockTtl)])) !== null) {
        try {
          // A holder may have left its result and released the lock between our GET and SET NX: use it, or this
          // process would spend the old refresh token a second time (and hand out the provider's refusal).
          const settled = await send(['GET', resultKey])
          if (settled !== null && settled !== undefined) return open(key, replyString(settled))
          const fresh = await refresh()
          // The old refresh token is spent: keep the new pair even if Redis does not take the hand-off.
          await send(['SET', resultKey, seal(key, JSON.stringify(fresh)), 'PX', keep]).catch(() => undefined)
          return fresh
        } catch (err) {
          if (isFreedomIdError(err, 'REFRESH_TOKEN_INVALID')) {
            await send(['SET', resultKey, seal(key, INVALID), 'PX', keep]).catch(() => undefined)
          }
          throw err
        } finally {
          await send(['EVAL', RELEASE, '1', lockKey, owner]).catch(() => undefined)
        }
      }
      if (Date.now() > deadline) {
        throw new FreedomIdError('PROVIDER_TIMEOUT', 'Another process held the refresh of this token for too long.')
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }
}

function seal(key: Buffer, text: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
}

/** @throws FreedomIdError `REFRESH_STORE_INVALID` when `sealed` was not sealed under `key` (altered, cut, or copied). */
function open(key: Buffer, sealed: string): TokenResponse {
  let text: string
  try {
    const bytes = Buffer.from(sealed, 'base64')
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12))
    decipher.setAuthTag(bytes.subarray(12, 28))
    text = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
  } catch (cause) {
    throw new FreedomIdError(
      'REFRESH_STORE_INVALID',
      "The token refresher's hand-off in Redis does not open under this refresh token: it was altered or copied from another key.",
      { cause },
    )
  }
  if (text === INVALID) {
    throw new FreedomIdError('REFRESH_TOKEN_INVALID', 'Freedom ID refused the refresh token (refreshed by another process).')
  }
  return JSON.parse(text) as TokenResponse
}
