import { afterAll, beforeAll, expect, it } from '@jest/globals'
import request from 'supertest'
import { createRedisStores } from '../../example-app/stores.js'
import { DEFAULT_USERS, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import { describeWithRedis, startRedis, type RedisServer } from '../helpers/redis.js'
import { signIn, startApp, type RunningApp } from './support.js'

const [alice, bob] = [DEFAULT_USERS[0]!, DEFAULT_USERS[1]!]

describeWithRedis('two app instances sharing one Redis', () => {
  let redis: RedisServer
  let emulator: RunningEmulator
  let a: RunningApp
  let b: RunningApp

  beforeAll(async () => {
    redis = await startRedis()
    emulator = await startEmulator()
    // Instances of one app share its configuration: the same SESSION_SECRET and REDIS_URL.
    const shared = {
      redisURL: redis.url,
      sessionSecret: 'a-session-secret-shared-by-every-instance',
      revokePath: `/auth/freedom-id/revoke/${'a-revoke-path-secret-shared-too'.repeat(2)}`,
    }
    a = await startApp(emulator, shared, await createRedisStores(redis.url))
    b = await startApp(emulator, shared, await createRedisStores(redis.url))
  })
  afterAll(async () => {
    for (const app of [a, b]) {
      await app?.close()
      await app?.stores.close()
    }
    await emulator?.close()
    await redis?.stop()
  })

  it('a sign-out delivered to instance B ends the session made on instance A, and only that one', async () => {
    emulator.setAutoLogin(alice.sub)
    const aliceOnA = request.agent(a.url)
    await signIn(aliceOnA)
    emulator.setAutoLogin(bob.sub)
    const bobOnA = request.agent(a.url)
    await signIn(bobOnA)
    await aliceOnA.get('/profile').expect(200)

    const aliceToken = emulator.tokens().find((t) => t.sub === alice.sub)!
    expect(aliceToken.revokeURI).toBe(`${a.url}${a.config.revokePath}`)
    // Freedom ID calls whichever instance the load balancer picks: here, B.
    await request(b.url).post(b.config.revokePath).send({ id: aliceToken.id }).expect(204)

    await aliceOnA.get('/profile').expect(302).expect('location', '/')
    await bobOnA.get('/profile').expect(200)
  })

  it('the session made on A also works on B until then, since the store is shared', async () => {
    emulator.setAutoLogin(alice.sub)
    const onA = request.agent(a.url)
    await signIn(onA)
    const cookie = (await onA.get('/profile').expect(200)).request.cookies
    await request(b.url).get('/profile').set('Cookie', cookie).expect(200)
    const token = emulator.tokens().filter((t) => t.sub === alice.sub && !t.revoked).at(-1)!
    await request(a.url).post(a.config.revokePath).send({ id: token.id }).expect(204)
    await request(b.url).get('/profile').set('Cookie', cookie).expect(302)
  })
})

