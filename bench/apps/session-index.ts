import { createClient } from 'redis'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { RedisSessionIndex } from '../../src/sign-out/session-index/redis.js'
import type { SessionIndex } from '../../src/sign-out/session-index/types.js'

/**
 * What a session index holds. Memory: its tables' sizes. Redis: its keys by kind (`sessions:` sets are the bindings,
 * `owner:` keys the owners), and all keys under its prefix.
 */
export interface IndexEntries {
  /** Token ids with bound sessions. */
  bindings: number
  /** Session ids bound to a token id. */
  owners: number
  revoked: number
  /** Redis only: every key under the index's prefix. */
  keys?: number
}

/** A session index for a bench app, and how to count its entries. */
export interface BenchSessionIndex {
  index: SessionIndex
  entries(): Promise<IndexEntries>
  close(): Promise<void>
}

/** `memory` for a `MemorySessionIndex`; a `redis://` URL for a `RedisSessionIndex` on its own node-redis client. */
export async function openSessionIndex(spec: string): Promise<BenchSessionIndex> {
  if (spec === 'memory') {
    const index = new MemorySessionIndex()
    return { index, entries: async () => ({ ...index.size }), close: async () => undefined }
  }
  if (!spec.startsWith('redis://')) throw new Error(`session index must be "memory" or a redis:// URL, not "${spec}"`)
  const client = createClient({ url: spec })
  client.on('error', () => undefined)
  await client.connect()
  const index = new RedisSessionIndex({ client })
  return {
    index,
    entries: async () => {
      const keys = await client.keys(`${index.prefix}*`)
      const kind = (k: string) => keys.filter((key) => key.startsWith(`${index.prefix}${k}:`)).length
      return { bindings: kind('sessions'), owners: kind('owner'), revoked: kind('revoked'), keys: keys.length }
    },
    close: async () => {
      await client.close()
    },
  }
}
