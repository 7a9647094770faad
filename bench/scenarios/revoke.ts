import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import express from 'express'
import { MemoryStore } from 'express-session'
import { createClient, type RedisClientType } from 'redis'
import { Agent, request } from 'undici'
import { createRevokeRouter } from '../../src/sign-out/revoke-router.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { RedisSessionIndex } from '../../src/sign-out/session-index/redis.js'
import type { SessionIndex } from '../../src/sign-out/session-index/types.js'
import { redisAvailable, startRedis } from '../../test/helpers/redis-server.js'
import { median, percentile } from '../stats.js'

/**
 * What one revoke is: the index's `revoke()` alone, the whole `POST revoke_uri` through the revoke router, or the
 * control: one `Map.delete` of a random key through the same harness, which shows what the CPU caches alone do to a
 * constant-time lookup as the table grows.
 */
export type RevokeLevel = 'index' | 'route' | 'control'

/** The time of one revoke with `sessions` bound sessions (one per token id), medians over the rounds. */
export interface RevokeResult {
  store: 'memory' | 'redis'
  level: RevokeLevel
  sessions: number
  revokesPerRound: number
  p50Micros: number
  p99Micros: number
  meanMicros: number
}

/** One store and level at every size, and how the largest size compares with the smallest. */
export interface RevokeComparison {
  store: 'memory' | 'redis'
  level: RevokeLevel
  results: RevokeResult[]
  /** p50 at the largest size / p50 at the smallest. */
  ratio: number
}

/** Something that binds sessions and revokes token ids. */
interface Subject {
  bind(tokenId: string, sessionId: string): Promise<void>
  /** Revokes and resolves with the number of sessions ended (the route: 1 when the bound session is gone). */
  revoke(tokenId: string, sessionId: string): Promise<number>
  close(): Promise<void>
}

function sessionId(): string {
  return randomBytes(24).toString('base64url')
}

function indexSubject(index: SessionIndex): Subject {
  return {
    bind: (t, s) => index.bind(t, s),
    revoke: async (t) => (await index.revoke(t))?.length ?? 0,
    close: async () => undefined,
  }
}

function mapSubject(): Subject {
  const map = new Map<string, string>()
  return {
    bind: async (t, s) => {
      map.set(t, s)
    },
    revoke: async (t) => (map.delete(t) ? 1 : 0),
    close: async () => undefined,
  }
}

/** An Express app with the revoke router over a `MemoryStore`, driven by undici on a keep-alive agent. */
async function routeSubject(index: SessionIndex): Promise<Subject> {
  const store = new MemoryStore()
  const sessions = (store as unknown as { sessions: Record<string, string> }).sessions
  const app = express()
  app.use('/revoke', createRevokeRouter({ sessionIndex: index, sessionStore: store }))
  const server: Server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/revoke`
  const agent = new Agent({ keepAliveTimeout: 10_000 })
  return {
    bind: async (t, s) => {
      sessions[s] = JSON.stringify({ cookie: { originalMaxAge: null }, passport: { user: { id: 'bench' } } })
      await index.bind(t, s)
    },
    revoke: async (t, s) => {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: t }),
      })
      await res.body.dump()
      if (res.statusCode !== 204) throw new Error(`the revoke route answered ${res.statusCode}`)
      return sessions[s] === undefined ? 1 : 0
    },
    close: async () => {
      await agent.close()
      server.closeAllConnections()
      server.close()
    },
  }
}

async function fill(subject: Subject, count: number): Promise<[string, string][]> {
  const bound: [string, string][] = []
  const batch = 1000
  for (let i = 0; i < count; i += batch) {
    const chunk = Array.from({ length: Math.min(batch, count - i) }, () => [randomUUID(), sessionId()] as [string, string])
    await Promise.all(chunk.map(([t, s]) => subject.bind(t, s)))
    bound.push(...chunk)
  }
  return bound
}

/**
 * Times `count` revokes of random bound token ids, one at a time; after each, binds a new token id (untimed) so the
 * number of bound sessions stays the same.
 */
async function timeRevokes(subject: Subject, bound: [string, string][], count: number): Promise<number[]> {
  const micros: number[] = []
  for (let i = 0; i < count; i++) {
    const at = Math.floor(Math.random() * bound.length)
    const [tokenId, sid] = bound[at]!
    const t0 = performance.now()
    const ended = await subject.revoke(tokenId, sid)
    micros.push((performance.now() - t0) * 1000)
    if (ended !== 1) throw new Error(`a revoke ended ${ended} sessions, expected 1`)
    const next: [string, string] = [randomUUID(), sessionId()]
    await subject.bind(...next)
    bound[at] = next
  }
  return micros
}

async function compare(
  store: 'memory' | 'redis',
  level: RevokeLevel,
  make: (size: number) => Promise<Subject>,
  sizes: number[],
  revokes: number,
  rounds: number,
): Promise<RevokeComparison> {
  const subjects: Subject[] = []
  const bound: [string, string][][] = []
  try {
    for (const size of sizes) {
      const subject = await make(size)
      subjects.push(subject)
      bound.push(await fill(subject, size))
    }
    for (let i = 0; i < sizes.length; i++) await timeRevokes(subjects[i]!, bound[i]!, Math.ceil(revokes / 4))
    const perRound: number[][][] = sizes.map(() => [])
    for (let r = 0; r < rounds; r++) {
      const order = sizes.map((_, i) => (r % 2 === 0 ? i : sizes.length - 1 - i))
      for (const i of order) perRound[i]!.push(await timeRevokes(subjects[i]!, bound[i]!, revokes))
    }
    const results = sizes.map((sessions, i) => ({
      store,
      level,
      sessions,
      revokesPerRound: revokes,
      p50Micros: median(perRound[i]!.map((m) => percentile(m, 50))),
      p99Micros: median(perRound[i]!.map((m) => percentile(m, 99))),
      meanMicros: median(perRound[i]!.map((m) => m.reduce((a, b) => a + b, 0) / m.length)),
    }))
    return { store, level, results, ratio: results.at(-1)!.p50Micros / results[0]!.p50Micros }
  } finally {
    for (const s of subjects) await s.close()
  }
}

/** What the revoke benchmark runs. */
export interface RevokePlan {
  sizes: number[]
  revokes: number
  rounds: number
}

/** `MemorySessionIndex` (default options): the `Map` control, the index alone, then the whole revoke route. */
export async function benchMemoryRevoke(plan: RevokePlan): Promise<RevokeComparison[]> {
  const { sizes, revokes, rounds } = plan
  return [
    await compare('memory', 'control', async () => mapSubject(), sizes, revokes, rounds),
    await compare('memory', 'index', async () => indexSubject(new MemorySessionIndex()), sizes, revokes, rounds),
    await compare('memory', 'route', () => routeSubject(new MemorySessionIndex()), sizes, revokes, rounds),
  ]
}

/**
 * `RedisSessionIndex` on a throw-away `redis-server` (node-redis client, one key prefix per size): the index alone,
 * then the whole revoke route. Resolves `undefined` when `redis-server` is not installed.
 */
export async function benchRedisRevoke(plan: RevokePlan): Promise<RevokeComparison[] | undefined> {
  if (!redisAvailable()) return undefined
  const { sizes, revokes, rounds } = plan
  const redis = await startRedis()
  const client: RedisClientType = createClient({ url: redis.url })
  client.on('error', () => undefined)
  await client.connect()
  try {
    const index = (prefix: string, size: number) => new RedisSessionIndex({ client, prefix: `bench-${prefix}-${size}:` })
    return [
      await compare('redis', 'index', async (size) => indexSubject(index('index', size)), sizes, revokes, rounds),
      await compare('redis', 'route', (size) => routeSubject(index('route', size)), sizes, revokes, rounds),
    ]
  } finally {
    await client.quit()
    await redis.stop()
  }
}
