import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RedisStore } from 'connect-redis'
import cookieSession from 'cookie-session'
import express from 'express'
import session from 'express-session'
import passport from 'passport'
import { createClient } from 'redis'
import request from 'supertest'
import { DEMO_CLIENT, startEmulator, DEFAULT_USERS, type RunningEmulator } from '../../src/emulator/index.js'
import { FreedomIdStrategy, type FreedomIdProfile } from '../../src/index.js'
import { createRevokeGuard } from '../../src/sign-out/revoke-guard.js'
import { createRevokeRouter } from '../../src/sign-out/revoke-router.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { RedisSessionIndex } from '../../src/sign-out/session-index/redis.js'
import type { SessionIndex } from '../../src/sign-out/session-index/types.js'
import { authorize } from '../helpers/login.js'
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js'

const BROWSERS = 16
const SIGN_INS_PER_BROWSER = 8

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
})
afterAll(() => emulator.close())

interface Subject {
  app: express.Express
  strategy: FreedomIdStrategy
  sessionIndex: SessionIndex
}

/** The sample app's wiring: Passport 0.7 on express-session (or cookie-session), the strategy binding each login. */
function makeApp(sessionIndex: SessionIndex, sessionMiddleware: express.RequestHandler, store?: session.Store): Subject {
  const pp = new passport.Passport()
  const app = express()
  app.use('/revoke', createRevokeRouter({ sessionIndex, ...(store && { sessionStore: store }) }))
  app.use(sessionMiddleware)
  app.use((req, _res, next) => {
    const s = req.session as unknown as Record<string, unknown> | null
    if (s && typeof s.regenerate !== 'function') {
      // The usual shim that lets Passport 0.7 log in with cookie-session.
      s.regenerate = (cb: () => void) => cb()
      s.save = (cb: () => void) => cb()
    }
    next()
  })
  const strategy = new FreedomIdStrategy(
    {
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: 'http://127.0.0.1/auth/freedom-id/callback',
      issuer: emulator.url,
      sessionIndex,
    },
    (_a: string, _r: string, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => done(null, { id: profile.id }),
  )
  pp.use(strategy)
  pp.serializeUser((user, done) => done(null, user))
  pp.deserializeUser((user: Express.User, done) => done(null, user))
  app.use(pp.initialize(), pp.session(), createRevokeGuard({ sessionIndex }))
  app.get('/auth/freedom-id', pp.authenticate('freedom-id'))
  app.get('/auth/freedom-id/callback', pp.authenticate('freedom-id', { successRedirect: '/me', failureRedirect: '/failed' }))
  app.get('/me', (req, res) => {
    if (!req.user) return res.status(401).json({ signedIn: false })
    res.json({ user: req.user, tokenId: (req.session as unknown as Record<string, unknown>).freedomIdTokenId })
  })
  app.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.status(204).end())))
  app.post('/destroy', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.status(204).end())))
  return { app, strategy, sessionIndex }
}

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function signIn(agent: ReturnType<typeof request.agent>): Promise<string> {
  const start = await agent.get('/auth/freedom-id').expect(302)
  const callback = await authorize(start.headers.location!)
  await agent.get(`/auth/freedom-id/callback?${callback}`).expect(302).expect('location', '/me')
  return (await agent.get('/me').expect(200)).body.tokenId as string
}

/** Many sign-ins by a few returning browsers, two log-outs and a destroy; returns the browsers still signed in. */
async function soak(url: string): Promise<number> {
  const browsers = Array.from({ length: BROWSERS }, () => request.agent(url))
  for (let round = 0; round < SIGN_INS_PER_BROWSER; round++) await Promise.all(browsers.map(signIn))
  await browsers[0]!.post('/logout').expect(204)
  await browsers[1]!.post('/logout').expect(204)
  await browsers[2]!.post('/destroy').expect(204)
  await browsers[0]!.get('/me').expect(401)
  await browsers[2]!.get('/me').expect(401)
  return BROWSERS - 3
}

describe('the session index keeps one binding per live session', () => {
  test(`${BROWSERS * SIGN_INS_PER_BROWSER} sign-ins by ${BROWSERS} returning browsers leave as many bindings as live sessions (memory)`, async () => {
    const store = new session.MemoryStore()
    const sessionIndex = new MemorySessionIndex()
    const subject = makeApp(sessionIndex, session({ secret: 's', resave: false, saveUninitialized: false, store }), store)
    const { server, url } = await listen(subject.app)
    try {
      const live = await soak(url)
      const sessions = await new Promise<Record<string, unknown>>((resolve, reject) =>
        store.all((err, all) => (err ? reject(err) : resolve((all ?? {}) as Record<string, unknown>))),
      )
      const signedIn = Object.values(sessions).filter((s) => (s as { passport?: { user?: unknown } }).passport?.user)
      expect(signedIn).toHaveLength(live)
      expect(sessionIndex.size).toEqual({ bindings: live, owners: live, revoked: 0 })
    } finally {
      await subject.strategy._http.close()
      await new Promise((resolve) => server.close(resolve))
    }
  }, 60_000)

  const withRedis = redisAvailable() || process.env.CI === 'true' ? test : test.skip
  withRedis('the same soak on connect-redis and a RedisSessionIndex leaves two keys per live session', async () => {
    let redis: RedisServer | undefined
    const client = createClient({ url: (redis = await startRedis()).url })
    await client.connect()
    const store = new RedisStore({ client, prefix: 'sess:' })
    const sessionIndex = new RedisSessionIndex({ client })
    const subject = makeApp(
      sessionIndex,
      session({ secret: 's', resave: false, saveUninitialized: false, store, cookie: { maxAge: 3_600_000 } }),
      store,
    )
    const { server, url } = await listen(subject.app)
    try {
      const live = await soak(url)
      const sessionKeys = await client.keys('sess:*')
      const signedIn = (await Promise.all(sessionKeys.map((k) => client.get(k)))).filter((v) => v?.includes('"passport"'))
      expect(signedIn).toHaveLength(live)
      expect((await client.keys('freedom-id:owner:*')).length).toBe(live)
      expect((await client.keys('freedom-id:sessions:*')).length).toBe(live)
      expect((await client.keys('freedom-id:*')).length).toBe(2 * live)
    } finally {
      await subject.strategy._http.close()
      await new Promise((resolve) => server.close(resolve))
      await client.close()
      await redis.stop()
    }
  }, 60_000)

  test('a cookie-session login is bound without a session id, so the revoke marks it and the guard ends it', async () => {
    const sessionIndex = new MemorySessionIndex()
    const subject = makeApp(sessionIndex, cookieSession({ name: 'sess', keys: ['k'] }))
    const { server, url } = await listen(subject.app)
    try {
      const agent = request.agent(url)
      const tokenId = await signIn(agent)
      expect(sessionIndex.size).toEqual({ bindings: 1, owners: 0, revoked: 0 })
      await request(url).post('/revoke').send({ id: tokenId }).expect(204)
      await agent.get('/me').expect(401)
      expect(await sessionIndex.isRevoked(tokenId)).toBe(true)
    } finally {
      await subject.strategy._http.close()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
