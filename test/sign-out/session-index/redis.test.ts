import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { RedisSessionIndex } from '../../../src/sign-out/session-index/redis.js'
import { describeWithRedis, redisThatGoesOffline, startRedis, type RedisServer } from '../../helpers/redis.js'

const TOKEN = '01953bd1-a6d3-739e-8aa3-83e881f09055'
const OTHER = '01953bd1-a6d3-739e-8aa3-83e881f09056'
const THIRD = '01953bd1-a6d3-739e-8aa3-83e881f09057'
const FOURTH = '01953bd1-a6d3-739e-8aa3-83e881f09058'

/** Sends raw commands on a connection of its own, to inspect the server. */
interface Inspector {
  send(...args: string[]): Promise<unknown>
  close(): Promise<void>
}

interface Flavour {
  name: string
  /** A client for the index, wrapped to count the commands it sends. */
  connect(url: string): Promise<{ client: object; sent: () => number; close(): Promise<void> }>
}

const flavours: Flavour[] = [
  {
    name: 'node-redis',
    async connect(url) {
      const client = createClient({ url })
      await client.connect()
      let sent = 0
      return {
        client: {
          sendCommand: (args: string[]) => {
            sent++
            return client.sendCommand(args)
          },
        },
        sent: () => sent,
        close: async () => void (await client.close()),
      }
    },
  },
  {
    name: 'ioredis',
    async connect(url) {
      const client = new Redis(url)
      let sent = 0
      return {
        client: {
          call: (command: string, ...args: string[]) => {
            sent++
            return client.call(command, ...args)
          },
        },
        sent: () => sent,
        close: async () => void (await client.quit()),
      }
    },
  },
]

describeWithRedis('RedisSessionIndex', () => {
  let server: RedisServer
  let inspector: Inspector
  let inspectorClient: Redis

  beforeAll(async () => {
    server = await startRedis()
    inspectorClient = new Redis(server.url)
    inspector = {
      send: (command, ...args) => inspectorClient.call(command, ...args),
      close: async () => void (await inspectorClient.quit()),
    }
  })

  afterAll(async () => {
    await inspector?.close()
    await server?.stop()
  })

  describe.each(flavours)('with a $name client', (flavour) => {
    let conn: Awaited<ReturnType<Flavour['connect']>>
    let prefix: string
    let index: RedisSessionIndex

    beforeAll(async () => {
      conn = await flavour.connect(server.url)
    })
    afterAll(async () => {
      await conn?.close()
    })
    beforeEach(() => {
      prefix = `test-${flavour.name}-${Math.random().toString(36).slice(2)}:`
      index = new RedisSessionIndex({ client: conn.client as never, prefix, ttl: 600, evictionPolicy: 'off' })
    })

    test('revoke returns every session bound to the token id and marks it revoked', async () => {
      await index.bind(TOKEN, 'sid-a')
      await index.bind(TOKEN, 'sid-b')
      expect(await index.isRevoked(TOKEN)).toBe(false)
      expect((await index.revoke(TOKEN))!.sort()).toEqual(['sid-a', 'sid-b'])
      expect(await index.isRevoked(TOKEN)).toBe(true)
      expect(await index.revoke(TOKEN)).toEqual([])
      expect(await index.isRevoked(TOKEN)).toBe(true)
    })

    test('a bind with keepPrevious (a token refresh) leaves the session under the old token id too; a plain bind moves it', async () => {
      await index.bind(TOKEN, 'sid-a')
      await index.bind(OTHER, 'sid-a', undefined, { keepPrevious: true })
      expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
      expect(await index.revoke(OTHER)).toEqual(['sid-a'])
      await index.bind(THIRD, 'sid-b')
      await index.bind(FOURTH, 'sid-b')
      expect(await index.revoke(THIRD)).toBeUndefined()
      expect(await index.revoke(FOURTH)).toEqual(['sid-b'])
    })

    test('revoking an unknown token id returns undefined and writes nothing', async () => {
      expect(await index.revoke(TOKEN)).toBeUndefined()
      expect(await index.isRevoked(TOKEN)).toBe(false)
      expect(await inspector.send('KEYS', `${prefix}*`)).toEqual([])
    })

    test('500 junk revokes leave zero keys and a real mark stands', async () => {
      await index.bind(TOKEN, 'sid-a')
      await index.revoke(TOKEN)
      await Promise.all(Array.from({ length: 500 }, () => index.revoke(randomUUID())))
      expect(((await inspector.send('KEYS', `${prefix}*`)) as string[]).sort()).toEqual([
        `${prefix}owner:sid-a`,
        `${prefix}revoked:${TOKEN}`,
      ])
      expect(await index.isRevoked(TOKEN)).toBe(true)
    })

    test('a token id bound without a session id (a cookie session) is revoked and marked', async () => {
      await index.bind(TOKEN, null)
      expect(await inspector.send('KEYS', `${prefix}*`)).toEqual([`${prefix}bound:${TOKEN}`])
      expect(await index.revoke(TOKEN)).toEqual([])
      expect(await index.isRevoked(TOKEN)).toBe(true)
      expect(await inspector.send('KEYS', `${prefix}*`)).toEqual([`${prefix}revoked:${TOKEN}`])
    })

    test('unbind forgets a session, and its token id with its last session', async () => {
      await index.bind(TOKEN, 'sid-a')
      await index.bind(TOKEN, 'sid-b')
      await index.unbind('sid-a')
      expect(await index.tokenIdOf('sid-a')).toBeUndefined()
      await index.unbind('sid-b')
      await index.unbind('sid-unknown')
      expect(await inspector.send('KEYS', `${prefix}*`)).toEqual([])
      expect(await index.revoke(TOKEN)).toBeUndefined()
    })

    test('binding a session to a new token id takes it out of the old one', async () => {
      const other = randomUUID()
      await index.bind(TOKEN, 'sid-a')
      await index.bind(other, 'sid-a')
      expect(await index.revoke(TOKEN)).toBeUndefined()
      expect(await index.revoke(other)).toEqual(['sid-a'])
    })

    test('token ids compare case-insensitively', async () => {
      await index.bind(TOKEN.toUpperCase(), 'sid-a')
      expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
    })

    test('tokenIdOf maps a session id back to its token id', async () => {
      await index.bind(TOKEN, 'sid-a')
      expect(await index.tokenIdOf('sid-a')).toBe(TOKEN)
      expect(await index.tokenIdOf('sid-unknown')).toBeUndefined()
    })

    test('each call is one round trip, and revoke one EVAL on the server', async () => {
      const before = conn.sent()
      await index.bind(TOKEN, 'sid-a')
      expect(conn.sent() - before).toBe(1)
      await inspector.send('CONFIG', 'RESETSTAT')
      await index.revoke(TOKEN)
      expect(conn.sent() - before).toBe(2)
      const stats = String(await inspector.send('INFO', 'commandstats'))
      expect(stats).toMatch(/cmdstat_eval:calls=1,/)
      await index.isRevoked(TOKEN)
      await index.tokenIdOf('sid-a')
      expect(conn.sent() - before).toBe(4)
    })

    test('every key is namespaced by the prefix and expires', async () => {
      const other = '01953bd1-a6d3-739e-8aa3-83e881f09099'
      await index.bind(TOKEN, 'sid-a')
      await index.bind(other, null)
      await index.bind('01953bd1-a6d3-739e-8aa3-83e881f09098', 'sid-b')
      await index.revoke('01953bd1-a6d3-739e-8aa3-83e881f09098')
      const keys = (await inspector.send('KEYS', `${prefix}*`)) as string[]
      expect(keys.sort()).toEqual([
        `${prefix}bound:${other}`,
        `${prefix}owner:sid-a`,
        `${prefix}owner:sid-b`,
        `${prefix}revoked:01953bd1-a6d3-739e-8aa3-83e881f09098`,
        `${prefix}sessions:${TOKEN}`,
      ])
      for (const key of keys) {
        const pttl = Number(await inspector.send('PTTL', key))
        expect(pttl).toBeGreaterThan(590_000)
        expect(pttl).toBeLessThanOrEqual(600_000)
      }
    })

    test('a later bind with a shorter ttl does not shorten the binding', async () => {
      await index.bind(TOKEN, 'sid-a', 3600)
      await index.bind(TOKEN, 'sid-b', 10)
      expect(Number(await inspector.send('PTTL', `${prefix}sessions:${TOKEN}`))).toBeGreaterThan(3_590_000)
      expect(Number(await inspector.send('PTTL', `${prefix}owner:sid-b`))).toBeLessThanOrEqual(10_000)
    })

    test('the revoked mark lives as long as the longest binding when that exceeds the ttl', async () => {
      await index.bind(TOKEN, 'sid-a', 7200)
      await index.revoke(TOKEN)
      expect(Number(await inspector.send('PTTL', `${prefix}revoked:${TOKEN}`))).toBeGreaterThan(7_190_000)
      await index.revoke(TOKEN)
      expect(Number(await inspector.send('PTTL', `${prefix}revoked:${TOKEN}`))).toBeGreaterThan(7_190_000)
    })

    test('the revoked mark lives the index ttl when the binding had less to live', async () => {
      await index.bind(TOKEN, 'sid-a', 1)
      await index.revoke(TOKEN)
      expect(Number(await inspector.send('PTTL', `${prefix}revoked:${TOKEN}`))).toBeGreaterThan(590_000)
    })

    test('timeout 0 means no deadline: operations answer', async () => {
      const patient = new RedisSessionIndex({ client: conn.client as never, prefix, ttl: 600, evictionPolicy: 'off', timeout: 0 })
      await patient.bind(TOKEN, 'sid-a')
      expect(await patient.tokenIdOf('sid-a')).toBe(TOKEN)
      expect(await patient.revoke(TOKEN)).toEqual(['sid-a'])
      expect(await patient.isRevoked(TOKEN)).toBe(true)
    })

    test('the default prefix is freedom-id:', async () => {
      const plain = new RedisSessionIndex({ client: conn.client as never })
      await plain.bind(TOKEN, null)
      await plain.revoke(TOKEN)
      expect(Number(await inspector.send('EXISTS', `freedom-id:revoked:${TOKEN}`))).toBe(1)
      await inspector.send('DEL', `freedom-id:revoked:${TOKEN}`)
    })
  })

  test('real node-redis (RESP2 and RESP3) and ioredis clients are accepted as they are', async () => {
    const nodeRedis = createClient({ url: server.url })
    await nodeRedis.connect()
    const resp3 = createClient({ url: server.url, RESP: 3 })
    await resp3.connect()
    const ioredis = new Redis(server.url)
    try {
      for (const client of [nodeRedis, resp3, ioredis]) {
        const index = new RedisSessionIndex({ client, prefix: `real-${Math.random()}:` })
        await index.bind(TOKEN, 'sid-a')
        expect(await index.revoke(TOKEN)).toEqual(['sid-a'])
      }
    } finally {
      await nodeRedis.close()
      await resp3.close()
      await ioredis.quit()
    }
  })

  test('an operation past its deadline rejects with SESSION_INDEX_TIMEOUT while node-redis queues it offline', async () => {
    const { client, goOffline } = await redisThatGoesOffline()
    const index = new RedisSessionIndex({ client, timeout: 300 })
    try {
      await index.bind(TOKEN, 'sid-a')
      await goOffline()
      expect(client.isReady).toBe(false)
      const started = Date.now()
      await expect(index.revoke(TOKEN)).rejects.toMatchObject({ code: 'SESSION_INDEX_TIMEOUT', status: 503 })
      expect(Date.now() - started).toBeLessThan(1500)
    } finally {
      client.destroy()
    }
  })

  test('a closed client makes revoke reject', async () => {
    const client = createClient({ url: server.url })
    const index = new RedisSessionIndex({ client })
    await expect(index.revoke(TOKEN)).rejects.toThrow()
  })
})

describe('RedisSessionIndex options', () => {
  const client: object = { sendCommand: () => Promise.resolve(null) }

  test.each<[string, unknown, RegExp]>([
    ['no options', undefined, /requires a client option/],
    ['null options', null, /requires a client option/],
    ['no client', {}, /"client"/],
    ['a null client', { client: null }, /"client"/],
    ['a client that is a string', { client: 'redis://127.0.0.1' }, /"client"/],
    ['a client of another shape', { client: { get: () => null } }, /"client"/],
    ['an ioredis-like cluster', { client: { call: () => null, isCluster: true } }, /Cluster/],
    ['a node-redis-like cluster', { client: { sendCommand: () => null, _slots: {} } }, /Cluster/],
    ['ttl 0', { client, ttl: 0 }, /"ttl"/],
    ['a numeric prefix', { client, prefix: 5 }, /"prefix"/],
    ['a negative timeout', { client, timeout: -1 }, /"timeout"/],
    ['a fractional timeout', { client, timeout: 1.5 }, /"timeout"/],
    ['an unknown evictionPolicy', { client, evictionPolicy: 'ignore' }, /"evictionPolicy"/],
  ])('a constructor with %s throws a TypeError naming what is wrong', (_name, options, message) => {
    expect(() => new RedisSessionIndex(options as never)).toThrow(TypeError)
    expect(() => new RedisSessionIndex(options as never)).toThrow(message)
  })

  test.each<[string, (index: RedisSessionIndex) => Promise<unknown>, string]>([
    ['an empty token id', (index) => index.bind('', 'sid'), '"tokenId"'],
    ['an empty session id', (index) => index.bind(TOKEN, ''), '"sessionId"'],
    ['a zero ttl', (index) => index.bind(TOKEN, 'sid', 0), '"ttlSeconds"'],
    ['an empty unbind', (index) => index.unbind(''), '"sessionId"'],
    ['an empty revoke', (index) => index.revoke(''), '"tokenId"'],
    ['an empty isRevoked', (index) => index.isRevoked(''), '"tokenId"'],
    ['an empty tokenIdOf', (index) => index.tokenIdOf(''), '"sessionId"'],
  ])('a call with %s rejects with a TypeError naming the argument, sending nothing', async (_name, call, argument) => {
    let sent = 0
    const index = new RedisSessionIndex({ client: { sendCommand: () => Promise.resolve((sent++, null)) }, evictionPolicy: 'off' })
    await expect(call(index)).rejects.toThrow(TypeError)
    await expect(call(index)).rejects.toThrow(argument)
    expect(sent).toBe(0)
  })

  test('defaults its ttl to 30 days', () => {
    expect(new RedisSessionIndex({ client: client as never }).ttl).toBe(2_592_000)
  })
})
