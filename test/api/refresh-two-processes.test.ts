import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import request from 'supertest'
import { DEFAULT_USERS, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'
import { describeWithRedis, startRedis, type RedisServer } from '../helpers/redis.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Starts test/api/refresh-app.ts in a process of its own and resolves with its URL. */
function startAppProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/api/refresh-app.ts'], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (d: Buffer) => {
      output += d.toString()
      const match = /PORT (\d+)/.exec(output)
      if (match) resolve({ url: `http://127.0.0.1:${match[1]}`, child })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`app process exited (${code}):\n${output}`)))
  })
}

describeWithRedis('token refresh across two app processes on one Redis', () => {
  let redis: RedisServer
  let emulator: RunningEmulator
  const children: ChildProcess[] = []

  beforeAll(async () => {
    redis = await startRedis()
    emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
  })
  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM')
    await emulator?.close()
    await redis?.stop()
  })

  test('50 parallel requests of one session at expiry, split over both processes: one refresh call, no 401', async () => {
    const env = { REDIS_URL: redis.url, EMULATOR_URL: emulator.url, SHARED: '1' }
    const [a, b] = await Promise.all([startAppProcess(env), startAppProcess(env)])
    children.push(a.child, b.child)
    const agent = request.agent(a.url)
    const start = await agent.get('/auth').expect(302)
    await agent.get(`/auth/callback?${await authorize(start.headers.location!)}`).expect(302)
    const before = (await agent.get('/me').expect(200)).body.tokens
    const cookie = (await agent.get('/me')).request.cookies
    await agent.post('/test/expire').expect(204)
    const tokenCalls = emulator.stats.token

    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => request(i % 2 === 0 ? a.url : b.url).get('/me').set('Cookie', cookie)),
    )

    expect(replies.map((r) => r.status).filter((s) => s !== 200)).toEqual([])
    expect(emulator.stats.token - tokenCalls).toBe(1)
    const after = (await request(b.url).get('/me').set('Cookie', cookie).expect(200)).body.tokens
    expect(after.refresh_token).not.toBe(before.refresh_token)
  }, 60_000)
})
