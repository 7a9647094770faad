import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect } from '@jest/globals'
import { createClient } from 'redis'
import { createFreedomIdClient } from '../../src/api/api-client.js'
import { createTokenRefresher } from '../../src/api/refresh-middleware.js'
import { createSharedRefresh } from '../../src/api/shared-refresh.js'
import { FreedomIdError } from '../../src/errors.js'
import type { TokenResponse } from '../../src/provider/token-exchange.js'
import { describeWithRedis, redisThatGoesOffline, startRedis, type RedisServer } from '../helpers/redis.js'

describeWithRedis('refresh single-flight across processes (createSharedRefresh) on a real Redis', () => {
  let redis: RedisServer
  let client: ReturnType<typeof createClient>

  beforeAll(async () => {
    redis = await startRedis()
    client = createClient({ url: redis.url })
    await client.connect()
  })
  afterAll(async () => {
    await client?.quit()
    await redis?.stop()
  })

  const pair = (n: number): TokenResponse => ({ access_token: `access-${n}`, refresh_token: `refresh-${n}`, id: `id-${n}` }) as TokenResponse

  it('a process that takes the lock just after another left its result uses that result and never refreshes again', async () => {
    // Process B reads "no result yet", then (held here) process A refreshes, leaves its result and releases the lock;
    // B then takes the free lock. B must answer with A's pair, not spend the old refresh token a second time.
    let releaseB!: () => void
    const bHeld = new Promise<void>((resolve) => (releaseB = resolve))
    let firstGet = true
    const slowClient = {
      sendCommand: async (args: string[]) => {
        const reply = await client.sendCommand(args)
        if (args[0] === 'GET' && firstGet) {
          firstGet = false
          await bHeld
        }
        return reply
      },
    }
    const processA = createSharedRefresh({ client }, 30_000)
    const processB = createSharedRefresh({ client: slowClient as never }, 30_000)
    const calls: string[] = []

    const b = processB('refresh-0', async () => (calls.push('B'), pair(2)))
    await new Promise((resolve) => setTimeout(resolve, 50)) // B has read "no result" and waits
    const a = await processA('refresh-0', async () => (calls.push('A'), pair(1)))
    releaseB()

    expect(a.access_token).toBe('access-1')
    expect((await b).access_token).toBe('access-1')
    expect(calls).toEqual(['A'])
  })

  it('waiting processes get the winner\'s pair, and only the winner refreshes', async () => {
    const processes = Array.from({ length: 4 }, () => createSharedRefresh({ client }, 30_000))
    let calls = 0
    const results = await Promise.all(
      processes.map((run) => run('refresh-9', async () => (calls++, await new Promise((r) => setTimeout(r, 100)), pair(10)))),
    )
    expect(calls).toBe(1)
    expect(results.map((r) => r.access_token)).toEqual(['access-10', 'access-10', 'access-10', 'access-10'])
  })

  it('during a Redis outage a refresh fails with REFRESH_STORE_TIMEOUT within the deadline, while node-redis queues offline', async () => {
    const { client: queued, goOffline } = await redisThatGoesOffline()
    try {
      await goOffline()
      expect(queued.isReady).toBe(false)
      let refreshed = false
      const run = createSharedRefresh({ client: queued, timeout: 300 }, 30_000)
      await expect(run('refresh-outage', async () => ((refreshed = true), pair(1)))).rejects.toMatchObject({
        code: 'REFRESH_STORE_TIMEOUT',
        status: 503,
      })
      expect(refreshed).toBe(false) // the refresh token was not spent without the lock
    } finally {
      queued.destroy()
    }
  }, 15_000)

  it('the process that spent the refresh token keeps the new pair when Redis does not take the hand-off in time', async () => {
    const stalls = {
      sendCommand: (args: string[]) =>
        args[0] === 'SET' && args[1]!.endsWith(':result') ? new Promise<never>(() => undefined) : client.sendCommand(args),
    }
    const run = createSharedRefresh({ client: stalls as never, timeout: 200 }, 30_000)
    await expect(run('refresh-handoff', async () => pair(3))).resolves.toMatchObject({ access_token: 'access-3' })
  })

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['string', '2000'],
  ])('refuses a %s redis.timeout with a TypeError naming it', (_what, timeout) => {
    expect(() => createSharedRefresh({ client, timeout: timeout as number }, 30_000)).toThrow(/"redis\.timeout"/)
  })

  it('holds the lock longer than the refresh call may take: the client\'s timeout plus 5 s by default', async () => {
    const lockTTLs: number[] = []
    const watching = {
      sendCommand: async (args: string[]) => {
        const reply = await client.sendCommand(args)
        if (args[0] === 'SET' && args[1]!.endsWith(':lock')) lockTTLs.push(Number(args[args.indexOf('PX') + 1]))
        return reply
      },
    }
    await createSharedRefresh({ client: watching as never }, 30_000, 20_000)('refresh-slow-client', async () => pair(4))
    await createSharedRefresh({ client: watching as never }, 30_000)('refresh-default-client', async () => pair(5))
    expect(lockTTLs).toEqual([25_000, 15_000])
  })

  it('refuses a lockTtl no longer than the client\'s timeout, through createTokenRefresher', () => {
    const api = createFreedomIdClient({ clientID: 'id', clientSecret: 'secret', timeout: 3000 })
    expect(() => createTokenRefresher({ client: api, redis: { client, lockTtl: 3000 } })).toThrow(
      /"redis\.lockTtl" option \(3000 ms\) must be longer than the client's timeout \(3000 ms\)/,
    )
    expect(() => createTokenRefresher({ client: api, redis: { client, lockTtl: 3001 } })).not.toThrow()
  })

  describe('keys and hand-off', () => {
    const nameOf = (refreshToken: string) => createHash('sha256').update(`name\0${refreshToken}`).digest('hex')

    it('names its keys by a hash under the default prefix, never by the token, and releases the lock', async () => {
      const keys: string[] = []
      const watching = {
        sendCommand: (args: string[]) => {
          if (args[0] === 'SET') keys.push(args[1]!)
          return client.sendCommand(args)
        },
      }
      await createSharedRefresh({ client: watching as never }, 30_000)('refresh-secret-value', async () => pair(20))
      const name = nameOf('refresh-secret-value')
      expect(keys).toEqual([`freedom-id:refresh:${name}:lock`, `freedom-id:refresh:${name}:result`])
      expect(await client.exists(`freedom-id:refresh:${name}:lock`)).toBe(0)
      const sealed = await client.get(`freedom-id:refresh:${name}:result`)
      expect(sealed).not.toContain('access-20')
      expect(Buffer.from(sealed!, 'base64').toString('latin1')).not.toContain('access-20')
    })

    it('keeps the hand-off for the reuse window, and at least a second', async () => {
      await createSharedRefresh({ client }, 30_000)('refresh-window-long', async () => pair(21))
      expect(await client.pTTL(`freedom-id:refresh:${nameOf('refresh-window-long')}:result`)).toBeGreaterThan(20_000)
      await createSharedRefresh({ client }, 0)('refresh-window-none', async () => pair(22))
      const ttl = await client.pTTL(`freedom-id:refresh:${nameOf('refresh-window-none')}:result`)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(1000)
    })

    it('a later call within the window reuses the pair without refreshing', async () => {
      let calls = 0
      const run = createSharedRefresh({ client }, 30_000)
      await run('refresh-twice', async () => (calls++, pair(23)))
      await expect(run('refresh-twice', async () => (calls++, pair(24)))).resolves.toMatchObject({ access_token: 'access-23' })
      expect(calls).toBe(1)
    })

    it('a hand-off copied under another refresh token\'s name cannot be read with that token', async () => {
      const run = createSharedRefresh({ client }, 30_000)
      await run('refresh-victim', async () => pair(25))
      const sealed = await client.get(`freedom-id:refresh:${nameOf('refresh-victim')}:result`)
      await client.set(`freedom-id:refresh:${nameOf('refresh-attacker')}:result`, sealed!, { PX: 30_000 })
      let calls = 0
      const refused = await run('refresh-attacker', async () => (calls++, pair(26))).catch((err: unknown) => err as FreedomIdError)
      expect(refused).toMatchObject({ name: 'FreedomIdError', code: 'REFRESH_STORE_INVALID', status: 500, expose: false })
      expect(refused.message).not.toMatch(/refresh-attacker|refresh-victim|access-25/)
      // Node's own error stays reachable for debugging (from Node's realm, so not instanceof jest's Error).
      expect((refused.cause as Error | undefined)?.message).toMatch(/unable to authenticate data/)
      expect(calls).toBe(0)
    })

    it.each([
      ['cut short', (sealed: string) => sealed.slice(0, 20)],
      ['with one byte changed', (sealed: string) => Buffer.from(Buffer.from(sealed, 'base64').map((b, i) => (i === 40 ? b ^ 1 : b))).toString('base64')],
      ['not base64 at all', () => '{"access_token":"forged"}'],
    ])('a hand-off altered in Redis (%s) is REFRESH_STORE_INVALID, not a refusal nor a raw crypto error', async (_name, alter) => {
      const run = createSharedRefresh({ client }, 30_000)
      await run('refresh-altered', async () => pair(27))
      const key = `freedom-id:refresh:${nameOf('refresh-altered')}:result`
      await client.set(key, alter((await client.get(key))!), { PX: 30_000 })
      await expect(run('refresh-altered', async () => pair(28))).rejects.toMatchObject({ code: 'REFRESH_STORE_INVALID' })
      await client.del(key)
    })

    it('hands a refused refresh token to the other processes: one refresh call, every one REFRESH_TOKEN_INVALID', async () => {
      let calls = 0
      const refuse = async (): Promise<TokenResponse> => {
        calls++
        await new Promise((r) => setTimeout(r, 100))
        throw new FreedomIdError('REFRESH_TOKEN_INVALID', 'refused')
      }
      const runs = Array.from({ length: 3 }, () => createSharedRefresh({ client }, 30_000))
      const results = await Promise.allSettled(runs.map((run) => run('refresh-refused', refuse)))
      expect(results.map((r) => r.status === 'rejected' && (r.reason as FreedomIdError).code)).toEqual([
        'REFRESH_TOKEN_INVALID',
        'REFRESH_TOKEN_INVALID',
        'REFRESH_TOKEN_INVALID',
      ])
      expect(calls).toBe(1)
      await expect(runs[0]!('refresh-refused', refuse)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' })
      expect(calls).toBe(1)
    })

    it('never hands a provider fault over as a refusal: the next call refreshes again', async () => {
      let calls = 0
      const run = createSharedRefresh({ client }, 30_000)
      const fault = async (): Promise<TokenResponse> => {
        calls++
        throw new FreedomIdError('PROVIDER_TIMEOUT', 'slow')
      }
      await expect(run('refresh-fault', fault)).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' })
      await expect(run('refresh-fault', async () => (calls++, pair(29)))).resolves.toMatchObject({ access_token: 'access-29' })
      expect(calls).toBe(2)
    })

    it('gives up with PROVIDER_TIMEOUT after twice lockTtl when another process keeps the lock', async () => {
      await client.set(`freedom-id:refresh:${nameOf('refresh-held')}:lock`, 'another-process', { PX: 30_000 })
      let calls = 0
      const run = createSharedRefresh({ client, lockTtl: 200 }, 30_000, 100)
      const started = Date.now()
      await expect(run('refresh-held', async () => (calls++, pair(27)))).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' })
      expect(Date.now() - started).toBeGreaterThanOrEqual(400)
      expect(calls).toBe(0)
    })
  })

  it.each([
    ['options null', null, /"redis" option must be \{ client \}/],
    ['options a string', 'redis://x', /"redis" option must be \{ client \}/],
    ['prefix a number', { prefix: 5 }, /"redis\.prefix" option must be a string/],
    ['lockTtl zero', { lockTtl: 0 }, /"redis\.lockTtl" option must be a positive integer/],
    ['lockTtl negative', { lockTtl: -5 }, /"redis\.lockTtl" option must be a positive integer/],
    ['lockTtl fractional', { lockTtl: 15_000.5 }, /"redis\.lockTtl" option must be a positive integer/],
  ])('refuses %s with a TypeError naming it', (_what, options, message) => {
    const given = options !== null && typeof options === 'object' ? { client, ...options } : options
    expect(() => createSharedRefresh(given as never, 30_000)).toThrow(message)
  })

  it('accepts timeout 0: no deadline', async () => {
    await expect(createSharedRefresh({ client, timeout: 0 }, 30_000)('refresh-no-deadline', async () => pair(28))).resolves.toMatchObject({
      access_token: 'access-28',
    })
  })
})
