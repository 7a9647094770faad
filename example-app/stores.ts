import { RedisStore } from 'connect-redis'
import session from 'express-session'
import { createClient } from 'redis'
import { MemorySessionIndex, RedisSessionIndex, type SessionIndex } from '../src/index.js'
import { memoryDeniedTokens, type DeniedTokens } from './user-cookie.js'

/** Where the app keeps sessions, and the index the revoke route uses to find a sign-out's sessions. */
export interface AppStores {
  sessionStore: session.Store
  sessionIndex: SessionIndex
  /** `LOGIN_STATE=cookie`: the token ids Freedom ID signed out, whose user cookies the app refuses. */
  deniedTokens: DeniedTokens
  /** Closes connections the stores hold. */
  close(): Promise<void>
}

/** Sessions and the revoke index in this process's memory: one process only, lost on restart. */
export function createMemoryStores(): AppStores {
  return {
    sessionStore: new session.MemoryStore(),
    sessionIndex: new MemorySessionIndex(),
    deniedTokens: memoryDeniedTokens(),
    close: async () => undefined,
  }
}

/**
 * Sessions (connect-redis) and the revoke index ({@link RedisSessionIndex}) in the Redis at `redisURL`, through one
 * node-redis client, so that several app processes share them. Resolves once connected; rejects, naming `REDIS_URL`
 * but not its password, when Redis cannot be reached.
 */
export async function createRedisStores(redisURL: string, log: (line: string) => void = console.error): Promise<AppStores> {
  const client = createClient({ url: redisURL, socket: { connectTimeout: 5_000, reconnectStrategy: (retries) => Math.min(retries * 200, 5_000) } })
  let connected = false
  client.on('error', (err: Error) => {
    if (connected) log(`Redis: ${err.message}`)
  })
  try {
    await connectOnce(client)
  } catch (err) {
    const where = new URL(redisURL)
    throw new Error(`Could not connect to Redis at REDIS_URL (${where.protocol}//${where.host}): ${(err as Error).message}`)
  }
  connected = true
  return {
    sessionStore: new RedisStore({ client, prefix: 'freedom-id-example:sess:' }),
    sessionIndex: new RedisSessionIndex({ client, prefix: 'freedom-id-example:' }),
    deniedTokens: {
      add: async (tokenId, ttlMs) => void (await client.set(`freedom-id-example:denied:${tokenId}`, '1', { PX: ttlMs })),
      has: async (tokenId) => (await client.exists(`freedom-id-example:denied:${tokenId}`)) === 1,
    },
    close: async () => {
      if (client.isOpen) await client.close()
    },
  }
}

/** Connects, giving up at the first failure instead of retrying forever. */
async function connectOnce(client: ReturnType<typeof createClient>): Promise<void> {
  const failed = new Promise<never>((_resolve, reject) => client.once('error', reject))
  try {
    await Promise.race([client.connect(), failed])
  } catch (err) {
    client.destroy()
    throw err
  }
}

/** {@link createRedisStores} when `redisURL` is set, else {@link createMemoryStores}. */
export function createStores(config: { redisURL?: string; log?: (line: string) => void }): Promise<AppStores> {
  return config.redisURL === undefined ? Promise.resolve(createMemoryStores()) : createRedisStores(config.redisURL, config.log)
}
