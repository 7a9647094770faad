import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { RedisSessionIndex } from '../../../src/sign-out/session-index/redis.js'
import { describeWithRedis, redisThatGoesOffline, startRedis, type RedisServer } from '../../helpers/redis.js'

type Client = ReturnType<typeof createClient>

/** Collects the process warnings emitted while a test runs (jest's sandbox does not relay the 'warning' event). */
function recordWarnings(): { warnings: Array<{ message: string; code?: string }>; stop(): void } {
  const warnings: Array<{ message: string; code?: string }> = []
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((message: string, options?: { code?: string }) => {
    warnings.push({ message, code: options?.code })
  }) as never)
  return { warnings, stop: () => spy.mockRestore() }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Signs a login in and out through an index with `evictionPolicy: 'error'` on `client`, expecting every operation to
 * go on; returns the eviction-policy warnings emitted meanwhile.
 */
async function policyWarningsWhileOperating(client: ConstructorParameters<typeof RedisSessionIndex>[0]['client']) {
  const recorder = recordWarnings()
  try {
    const index = new RedisSessionIndex({ client, evictionPolicy: 'error' })
    const token = randomUUID()
    await index.bind(token, 'sid-a')
    expect(await index.revoke(token)).toEqual(['sid-a'])
    expect(await index.isRevoked(token)).toBe(true)
    await flush()
  } finally {
    recorder.stop()
  }
  return recorder.warnings.filter((w) => w.code === 'FREEDOM_ID_REDIS_EVICTION_POLICY').map((w) => w.message)
}

describeWithRedis('RedisSessionIndex on a server that may evict keys (allkeys-lru, 2 MB)', () => {
  let lru: RedisServer
  let safe: RedisServer
  const clients: Client[] = []
  const connect = async (url: string) => {
    const client = createClient({ url })
    await client.connect()
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    lru = await startRedis(['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'])
    safe = await startRedis()
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
  })
  afterAll(async () => {
    await lru?.stop()
    await safe?.stop()
  })

  test('the server really evicts: a revoked mark is gone after the memory fills', async () => {
    const client = await connect(lru.url)
    const index = new RedisSessionIndex({ client, evictionPolicy: 'off' })
    const token = randomUUID()
    await index.bind(token, 'sid-a')
    await index.revoke(token)
    const pad = 'x'.repeat(10_000)
    for (let i = 0; i < 1000; i++) await client.set(`filler:${i}`, pad)
    expect(await index.isRevoked(token)).toBe(false)
    await client.flushAll()
  })

  test('the first use warns once, naming the policy and noeviction', async () => {
    const client = await connect(lru.url)
    const index = new RedisSessionIndex({ client })
    const recorder = recordWarnings()
    try {
      await index.bind(randomUUID(), 'sid-a')
      await index.revoke(randomUUID())
      await flush()
    } finally {
      recorder.stop()
    }
    const ours = recorder.warnings.filter((w) => w.code === 'FREEDOM_ID_REDIS_EVICTION_POLICY')
    expect(ours).toHaveLength(1)
    expect(ours[0]!.message).toContain('"allkeys-lru"')
    expect(ours[0]!.message).toContain('noeviction')
  })

  test("evictionPolicy 'error' makes every operation reject with SESSION_INDEX_EVICTION_POLICY", async () => {
    const client = await connect(lru.url)
    const index = new RedisSessionIndex({ client, evictionPolicy: 'error' })
    await expect(index.bind(randomUUID(), 'sid-a')).rejects.toMatchObject({ code: 'SESSION_INDEX_EVICTION_POLICY' })
    await expect(index.isRevoked(randomUUID())).rejects.toMatchObject({ code: 'SESSION_INDEX_EVICTION_POLICY' })
  })

  test('volatile-lru is reported too, since every key of the index expires', async () => {
    const client = await connect(lru.url)
    await client.configSet('maxmemory-policy', 'volatile-lru')
    try {
      const index = new RedisSessionIndex({ client, evictionPolicy: 'error' })
      await expect(index.revoke(randomUUID())).rejects.toMatchObject({ code: 'SESSION_INDEX_EVICTION_POLICY' })
    } finally {
      await client.configSet('maxmemory-policy', 'allkeys-lru')
    }
  })

  test('noeviction passes without a warning, with one INFO before the first operation only', async () => {
    const client = await connect(safe.url)
    const index = new RedisSessionIndex({ client, evictionPolicy: 'error' })
    const recorder = recordWarnings()
    await client.configResetStat()
    try {
      await index.bind(randomUUID(), 'sid-a')
      await index.revoke(randomUUID())
      await flush()
    } finally {
      recorder.stop()
    }
    expect(recorder.warnings.filter((w) => w.code === 'FREEDOM_ID_REDIS_EVICTION_POLICY')).toEqual([])
    const stats = await client.info('commandstats')
    expect(stats).toMatch(/cmdstat_info:calls=1,/)
    expect(stats).toMatch(/cmdstat_eval:calls=2,/)
  })

  test('a server whose INFO does not list maxmemory_policy (a service that filters INFO): one warning, and every operation goes on', async () => {
    const real = await connect(safe.url)
    // The index takes anything with sendCommand(); this one is the real client with the field cut from INFO's reply.
    const client = {
      sendCommand: async (args: string[]) => {
        const reply = await real.sendCommand(args)
        return args[0] === 'INFO' ? String(reply).replace(/^maxmemory_policy:.*\r?\n/m, '') : reply
      },
    }
    expect(await policyWarningsWhileOperating(client)).toEqual([expect.stringContaining('could not read the Redis eviction policy')])
  })
})

describeWithRedis('RedisSessionIndex when the eviction policy cannot be read', () => {
  let refusing: RedisServer
  beforeAll(async () => {
    refusing = await startRedis(['--rename-command', 'INFO', 'INFO-RENAMED'])
  })
  afterAll(async () => {
    await refusing?.stop()
  })

  test.each([
    ['node-redis', async (url: string) => {
      const client = createClient({ url })
      await client.connect()
      return { client, close: async (): Promise<void> => void (await client.close()) }
    }],
    ['ioredis', async (url: string) => {
      // ioredis's own ready check sends INFO too.
      const client = new Redis(url, { enableReadyCheck: false })
      return { client, close: async (): Promise<void> => void (await client.quit()) }
    }],
  ])('a server that refuses INFO (%s): one warning that the policy could not be checked, and every operation goes on', async (_name, connectClient) => {
    const { client, close } = await connectClient(refusing.url)
    try {
      expect(await policyWarningsWhileOperating(client)).toEqual([expect.stringContaining('INFO memory failed')])
    } finally {
      await close()
    }
  })

  test('an unreachable server is no reason to warn: the check waits for a server that answers', async () => {
    const { client, goOffline } = await redisThatGoesOffline()
    await goOffline()
    const recorder = recordWarnings()
    try {
      const index = new RedisSessionIndex({ client, timeout: 100 })
      await expect(index.isRevoked(randomUUID())).rejects.toMatchObject({ code: 'SESSION_INDEX_TIMEOUT' })
      await expect(index.isRevoked(randomUUID())).rejects.toMatchObject({ code: 'SESSION_INDEX_TIMEOUT' })
      await flush()
    } finally {
      recorder.stop()
      client.destroy()
    }
    expect(recorder.warnings.filter((w) => w.code === 'FREEDOM_ID_REDIS_EVICTION_POLICY')).toEqual([])
  })
})
