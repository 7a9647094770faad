import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { Server } from 'node:http'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import request from 'supertest'
import { createRevokeRouter } from '../../../src/sign-out/revoke-router.js'
import { RedisSessionIndex } from '../../../src/sign-out/session-index/redis.js'
import { describeWithRedis, redisThatGoesOffline, startRedis, type RedisServer } from '../../helpers/redis.js'

const REVOKE = '/revoke/s3cr3t'

describeWithRedis('revoke with connect-redis sessions and a RedisSessionIndex on one client', () => {
  let redis: RedisServer
  let client: ReturnType<typeof createClient>
  let server: Server

  beforeAll(async () => {
    redis = await startRedis()
    client = createClient({ url: redis.url })
    await client.connect()
    const store = new RedisStore({ client, prefix: 'sess:' })
    const sessionIndex = new RedisSessionIndex({ client })
    const app = express()
    app.use(REVOKE, createRevokeRouter({ sessionIndex, sessionStore: store }))
    const cookie = { maxAge: 3_600_000 }
    app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store, cookie }))
    app.get('/login/:token', async (req, res) => {
      ;(req.session as unknown as Record<string, unknown>).user = req.params.token
      await sessionIndex.bind(req.params.token, req.sessionID, 3600)
      res.json({ sid: req.sessionID })
    })
    server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
  })

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve))
    await client?.close()
    await redis?.stop()
  })

  test('the sessions of the revoked token id leave Redis and another user’s stays', async () => {
    const token = randomUUID()
    const other = randomUUID()
    const a1 = (await request.agent(server).get(`/login/${token}`).expect(200)).body.sid as string
    const a2 = (await request.agent(server).get(`/login/${token}`).expect(200)).body.sid as string
    const b = (await request.agent(server).get(`/login/${other}`).expect(200)).body.sid as string
    expect(await client.exists([`sess:${a1}`, `sess:${a2}`, `sess:${b}`])).toBe(3)

    await request(server).post(REVOKE).send({ id: token }).expect(204)

    expect(await client.exists([`sess:${a1}`, `sess:${a2}`])).toBe(0)
    expect(await client.exists(`sess:${b}`)).toBe(1)
    expect(await client.exists(`freedom-id:revoked:${token}`)).toBe(1)
    await request(server).post(REVOKE).send({ id: token }).expect(204)
  })

  test('during a Redis outage the route answers 503 within the index timeout, while node-redis queues offline', async () => {
    const { client: queued, goOffline } = await redisThatGoesOffline()
    const sessionIndex = new RedisSessionIndex({ client: queued, timeout: 500 })
    const app = express()
    app.use(REVOKE, createRevokeRouter({ sessionIndex }))
    const s = app.listen(0, '127.0.0.1')
    await once(s, 'listening')
    try {
      const token = randomUUID()
      await sessionIndex.bind(token, 'sid-a')
      await goOffline()
      const started = Date.now()
      const res = await request(s).post(REVOKE).send({ id: token })
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ error: 'store_unavailable' })
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      await new Promise((resolve) => s.close(resolve))
      queued.destroy()
    }
  })

  test('an unconnected Redis client makes the route answer 503, not 500', async () => {
    const dead = createClient({ url: redis.url })
    const app = express()
    app.use(REVOKE, createRevokeRouter({ sessionIndex: new RedisSessionIndex({ client: dead }) }))
    const s = app.listen(0, '127.0.0.1')
    await once(s, 'listening')
    try {
      const res = await request(s).post(REVOKE).send({ id: randomUUID() })
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ error: 'store_unavailable' })
    } finally {
      await new Promise((resolve) => s.close(resolve))
    }
  })
})
