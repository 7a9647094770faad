import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import { afterEach, describe, expect, test } from '@jest/globals'
import cookieSession from 'cookie-session'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import session from 'express-session'
import { Passport } from 'passport'
import request from 'supertest'
import { createRevokeGuard } from '../../src/sign-out/revoke-guard.js'
import { createRevokeRouter } from '../../src/sign-out/revoke-router.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { SESSION_ORIGINAL_TOKEN_ID_KEY, SESSION_TOKEN_ID_KEY, type SessionIndex } from '../../src/sign-out/session-index/types.js'
import { appServers } from '../helpers/http-server.js'

/** Express 4, installed under an npm alias beside Express 5. */
const express4 = createRequire(import.meta.url)('express4') as typeof express

const REVOKE = '/revoke/s3cr3t'
const servers = appServers()
afterEach(() => servers.closeAll())
const listen = (app: Express): Promise<Server> => servers.listen(app)

type Bag = Record<string, unknown>

/** Counts the isRevoked and tokenIdOf calls of a memory index. */
function countingIndex() {
  const index = new MemorySessionIndex()
  const calls = { isRevoked: 0, tokenIdOf: 0 }
  const isRevoked = index.isRevoked.bind(index)
  const tokenIdOf = index.tokenIdOf.bind(index)
  index.isRevoked = (tokenId: string) => {
    calls.isRevoked++
    return isRevoked(tokenId)
  }
  index.tokenIdOf = (sessionId: string) => {
    calls.tokenIdOf++
    return tokenIdOf(sessionId)
  }
  return { index, calls }
}

function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction) {
  res.status(599).json({ error: (err as Error).message })
}

/**
 * Express with the revoke route, cookie-session, the usual shim that lets Passport 0.7 log in with cookie-session
 * (its `regenerate` keeps the same session object), Passport and the guard. `/login/:token` signs alice in with that
 * token id, bound as the strategy binds a cookie session; each test adds its own routes.
 */
function passportCookieApp(sessionIndex: MemorySessionIndex): Express {
  const passport = new Passport()
  passport.serializeUser((user, done) => done(null, user))
  passport.deserializeUser((user: Express.User, done) => done(null, user))
  const app = express()
  app.use(REVOKE, createRevokeRouter({ sessionIndex }))
  app.use(cookieSession({ name: 'sess', keys: ['test key'] }))
  app.use((req, _res, next) => {
    const s = req.session as unknown as Bag | null
    if (s && !s.regenerate) {
      s.regenerate = (cb: () => void) => cb()
      s.save = (cb: () => void) => cb()
    }
    next()
  })
  app.use(passport.initialize(), passport.session())
  app.use(createRevokeGuard({ sessionIndex }))
  app.get('/login/:token', (req, res, next) => {
    req.login({ id: 'alice' }, (err) => {
      if (err) return next(err)
      ;(req.session as unknown as Bag)[SESSION_TOKEN_ID_KEY] = req.params.token
      sessionIndex.bind(req.params.token, null).then(() => res.end(), next)
    })
  })
  return app
}

describe('createRevokeGuard', () => {
  describe('with cookie-session', () => {
    async function cookieApp(sessionIndex: SessionIndex) {
      const app = express()
      app.use(REVOKE, createRevokeRouter({ sessionIndex }))
      app.use(cookieSession({ name: 'sess', keys: ['test key'] }))
      app.use(createRevokeGuard({ sessionIndex }))
      app.get('/login/:token', async (req, res) => {
        const s = req.session as unknown as Bag
        s.user = 'alice'
        if (req.params.token !== 'none') {
          s[SESSION_TOKEN_ID_KEY] = req.params.token
          await sessionIndex.bind(req.params.token, null) // as the strategy binds a cookie session
        }
        res.end()
      })
      // A sign-in whose tokens the refresher has rotated: the newest token id, and the sign-in's one kept beside it.
      app.get('/login-refreshed/:original/:current', async (req, res) => {
        const s = req.session as unknown as Bag
        s.user = 'alice'
        s[SESSION_TOKEN_ID_KEY] = req.params.current
        s[SESSION_ORIGINAL_TOKEN_ID_KEY] = req.params.original
        await sessionIndex.bind(req.params.original, null)
        await sessionIndex.bind(req.params.current, null)
        res.end()
      })
      app.get('/me', (req, res) => {
        res.json({ user: (req.session as unknown as Bag | null)?.user ?? null })
      })
      return listen(app)
    }

    test.each(['original', 'current'])('after a refresh, a revoke of the %s token id logs the session out', async (which) => {
      const { index } = countingIndex()
      const server = await cookieApp(index)
      const agent = request.agent(server)
      const ids = { original: randomUUID(), current: randomUUID() }
      await agent.get(`/login-refreshed/${ids.original}/${ids.current}`).expect(200)
      expect((await agent.get('/me')).body).toEqual({ user: 'alice' })
      await request(server).post(REVOKE).send({ id: ids[which as 'original' | 'current'] }).expect(204)
      expect((await agent.get('/me')).body).toEqual({ user: null })
    })

    test('a session whose token id is revoked is logged out and its cookie cleared', async () => {
      const { index, calls } = countingIndex()
      const server = await cookieApp(index)
      const token = randomUUID()
      const login = await request(server).get(`/login/${token}`).expect(200)
      const cookies = login.headers['set-cookie'] as unknown as string[]
      const cookie = cookies.map((c) => c.split(';')[0]).join('; ')

      expect((await request(server).get('/me').set('Cookie', cookie)).body).toEqual({ user: 'alice' })
      await request(server).post(REVOKE).send({ id: token }).expect(204)

      const after = await request(server).get('/me').set('Cookie', cookie)
      expect(after.body).toEqual({ user: null })
      expect(String(after.headers['set-cookie'])).toMatch(/sess=;.*expires=Thu, 01 Jan 1970/)
      const replay = await request(server).get('/me').set('Cookie', cookie)
      expect(replay.body).toEqual({ user: null })
      expect(calls.isRevoked).toBe(3)
    })

    test('a session with another token id is left alone', async () => {
      const { index } = countingIndex()
      const server = await cookieApp(index)
      const agent = request.agent(server)
      await agent.get(`/login/${randomUUID()}`).expect(200)
      await request(server).post(REVOKE).send({ id: randomUUID() }).expect(204)
      expect((await agent.get('/me')).body).toEqual({ user: 'alice' })
    })

    test('a request whose session carries no token id costs no lookup', async () => {
      const { index, calls } = countingIndex()
      const server = await cookieApp(index)
      const agent = request.agent(server)
      await agent.get('/me').expect(200)
      await agent.get('/login/none').expect(200)
      expect((await agent.get('/me')).body).toEqual({ user: 'alice' })
      expect(calls.isRevoked).toBe(0)
    })

    test('a Passport login in a cookie session is logged out and req.user cleared', async () => {
      const sessionIndex = new MemorySessionIndex()
      const app = passportCookieApp(sessionIndex)
      app.get('/me', (req, res) => {
        res.json({ authenticated: req.isAuthenticated(), user: req.user ?? null })
      })
      app.use(errorHandler)
      const server = await listen(app)
      const agent = request.agent(server)
      const token = randomUUID()
      await agent.get(`/login/${token}`).expect(200)
      expect((await agent.get('/me')).body).toEqual({ authenticated: true, user: { id: 'alice' } })
      await request(server).post(REVOKE).send({ id: token }).expect(204)
      expect((await agent.get('/me')).body).toEqual({ authenticated: false, user: null })
    })
  })

  describe('with express-session', () => {
    async function storeApp(options: {
      passport: boolean
      bySessionId?: boolean
      storeToken?: boolean
      framework?: typeof express
    }) {
      const sessionIndex = new MemorySessionIndex()
      const store = new session.MemoryStore()
      const passport = new Passport()
      passport.serializeUser((user, done) => done(null, user))
      passport.deserializeUser((user: Express.User, done) => done(null, user))
      const app = (options.framework ?? express)()
      app.use(REVOKE, createRevokeRouter({ sessionIndex }))
      app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store }))
      if (options.passport) {
        app.use(passport.initialize())
        app.use(passport.session())
      }
      app.use(createRevokeGuard({ sessionIndex, ...(options.bySessionId === undefined ? {} : { bySessionId: options.bySessionId }) }))
      app.get('/login/:token', (req, res, next) => {
        const finish = () => {
          if (options.storeToken !== false) (req.session as unknown as Bag)[SESSION_TOKEN_ID_KEY] = req.params.token
          ;(req.session as unknown as Bag).user = 'alice'
          sessionIndex.bind(req.params.token, req.sessionID).then(() => res.json({ sid: req.sessionID }), next)
        }
        if (!options.passport) return finish()
        req.login({ id: 'alice' }, (err) => (err ? next(err) : finish()))
      })
      app.get('/me', (req, res) => {
        const s = req.session as unknown as Bag | undefined
        res.json({ user: req.user ?? s?.user ?? null })
      })
      app.use(errorHandler)
      const server = await listen(app)
      const has = (sid: string) =>
        new Promise<boolean>((resolve, reject) => store.get(sid, (err, s) => (err ? reject(err) : resolve(!!s))))
      return { server, has, sessionIndex }
    }

    test.each([
      ['through req.logout with Passport', { passport: true }],
      ['through req.logout with Passport on Express 4', { passport: true, framework: express4 }],
      ['by destroying the session without Passport on Express 4', { passport: false, framework: express4 }],
      ['by destroying the session without Passport', { passport: false }],
      [
        'found by session id when the session carries no token id',
        { passport: false, bySessionId: true, storeToken: false },
      ],
    ])('a session written after its token id was revoked is logged out %s', async (_name, options) => {
      const { server, has, sessionIndex } = await storeApp(options)
      const token = randomUUID()
      await sessionIndex.bind(token, 'the-first-session-of-this-login')
      await request(server).post(REVOKE).send({ id: token }).expect(204)
      const agent = request.agent(server)
      const sid = (await agent.get(`/login/${token}`).expect(200)).body.sid as string
      expect(await has(sid)).toBe(true)
      expect((await agent.get('/me')).body).toEqual({ user: null })
      expect(await has(sid)).toBe(false)
    })

    test('without bySessionId a session that carries no token id is not looked up', async () => {
      const { server, sessionIndex } = await storeApp({ passport: false, storeToken: false })
      const token = randomUUID()
      await sessionIndex.bind(token, 'the-first-session-of-this-login')
      await request(server).post(REVOKE).send({ id: token }).expect(204)
      const agent = request.agent(server)
      await agent.get(`/login/${token}`).expect(200)
      expect((await agent.get('/me')).body).toEqual({ user: 'alice' })
    })
  })

  test('a failing index lookup is passed to next(err)', async () => {
    const failing: SessionIndex = {
      ttl: 60,
      bind: async () => undefined,
      unbind: async () => undefined,
      revoke: async () => [],
      isRevoked: () => Promise.reject(new Error('index down')),
      tokenIdOf: async () => undefined,
    }
    const app = express()
    app.use(cookieSession({ name: 'sess', keys: ['test key'] }))
    app.use(createRevokeGuard({ sessionIndex: failing }))
    app.get('/login', (req, res) => {
      ;(req.session as unknown as Bag)[SESSION_TOKEN_ID_KEY] = randomUUID()
      res.end()
    })
    app.get('/me', (_req, res) => {
      res.end('ok')
    })
    app.use(errorHandler)
    const agent = request.agent(await listen(app))
    await agent.get('/login').expect(200)
    const res = await agent.get('/me')
    expect(res.status).toBe(599)
    expect(res.body).toEqual({ error: 'index down' })
  })

  test.each([
    ['no options', undefined],
    ['no sessionIndex', {}],
    ['a sessionIndex without isRevoked', { sessionIndex: {} }],
  ])('options with %s throw a TypeError naming the option', (_name, options) => {
    expect(() => createRevokeGuard(options as never)).toThrow(new TypeError('createRevokeGuard requires a sessionIndex option'))
  })
})

describe('createRevokeGuard, request by request', () => {
  /** An app whose `prepare` middleware shapes req.session/req.sessionID before the guard; /me answers 200 with them. */
  async function bareApp(sessionIndex: SessionIndex, prepare: (req: Bag) => void, bySessionId = false) {
    const app = express()
    app.use((req, _res, next) => (prepare(req as unknown as Bag), next()))
    app.use(createRevokeGuard({ sessionIndex, bySessionId }))
    app.get('/me', (req, res) => {
      res.json({ session: (req as unknown as Bag).session ?? null })
    })
    app.use(errorHandler)
    return listen(app)
  }

  test.each<[string, (req: Bag) => void]>([
    ['no session middleware (req.session undefined)', () => undefined],
    ['a cookie session ended earlier in the request (req.session null)', (req) => void (req.session = null)],
  ])('%s: the request goes on, with no lookup', async (_name, prepare) => {
    const { index, calls } = countingIndex()
    const server = await bareApp(index, prepare, true)
    expect((await request(server).get('/me').expect(200)).body).toEqual({ session: null })
    expect(calls).toEqual({ isRevoked: 0, tokenIdOf: 0 })
  })

  test.each<[string, unknown]>([
    ['an empty string', ''],
    ['a number', 5],
    ['an object', { id: 'x' }],
  ])('a token id that is %s is no token id: no lookup', async (_name, value) => {
    const { index, calls } = countingIndex()
    const server = await bareApp(index, (req) => void (req.session = { [SESSION_TOKEN_ID_KEY]: value, [SESSION_ORIGINAL_TOKEN_ID_KEY]: value }))
    await request(server).get('/me').expect(200)
    expect(calls.isRevoked).toBe(0)
  })

  test.each<[string, string | undefined]>([
    ['no session id (cookie-session)', undefined],
    ['an empty session id', ''],
  ])('with bySessionId, a session with %s is not looked up, and the request goes on', async (_name, sessionID) => {
    const { index, calls } = countingIndex()
    const server = await bareApp(index, (req) => Object.assign(req, { session: { user: 'alice' }, sessionID }), true)
    expect((await request(server).get('/me').expect(200)).body).toEqual({ session: { user: 'alice' } })
    expect(calls).toEqual({ isRevoked: 0, tokenIdOf: 0 })
  })

  test.each([true, false])('the token id the session carries wins over a lookup by session id (bySessionId %s)', async (bySessionId) => {
    const { index, calls } = countingIndex()
    const carried = randomUUID()
    const bound = randomUUID()
    await index.bind(bound, 'sid-1')
    await index.bind(carried, null)
    await index.revoke(carried)
    const server = await bareApp(index, (req) => Object.assign(req, { session: { [SESSION_TOKEN_ID_KEY]: carried }, sessionID: 'sid-1' }), bySessionId)
    // Revoked, and no Passport nor store: the guard drops the session as a cookie session.
    expect((await request(server).get('/me').expect(200)).body).toEqual({ session: null })
    expect(calls.tokenIdOf).toBe(0)
  })

  test("a logged-out cookie session keeps no token id, so the user's next (local) login is not ended by it", async () => {
    const sessionIndex = new MemorySessionIndex()
    const app = passportCookieApp(sessionIndex)
    app.get('/local-login', (req, res, next) => req.login({ id: 'alice-local' }, (err) => (err ? next(err) : res.end())))
    app.get('/me', (req, res) => {
      res.json({ user: req.user ?? null, tokenId: (req.session as unknown as Bag | null)?.[SESSION_TOKEN_ID_KEY] ?? null })
    })
    app.use(errorHandler)
    const server = await listen(app)
    const agent = request.agent(server)
    const token = randomUUID()
    await agent.get(`/login/${token}`).expect(200)
    await request(server).post(REVOKE).send({ id: token }).expect(204)
    expect((await agent.get('/me')).body).toEqual({ user: null, tokenId: null })
    await agent.get('/local-login').expect(200)
    expect((await agent.get('/me')).body).toEqual({ user: { id: 'alice-local' }, tokenId: null })
  })

  test("the session store's destroy unbinds the session, though no login went through this instance", async () => {
    const sessionIndex = new MemorySessionIndex()
    const app = express()
    app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store: new session.MemoryStore() }))
    app.use(createRevokeGuard({ sessionIndex }))
    app.get('/start', (req, res) => {
      ;(req.session as unknown as Bag).user = 'alice'
      res.json({ sid: req.sessionID })
    })
    app.get('/logout', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.end())))
    app.use(errorHandler)
    const agent = request.agent(await listen(app))
    const { sid } = (await agent.get('/start').expect(200)).body as { sid: string }
    // Another instance signed this session in and bound it.
    const token = randomUUID()
    await sessionIndex.bind(token, sid)
    await agent.get('/logout').expect(200)
    expect(await sessionIndex.tokenIdOf(sid)).toBeUndefined()
  })
})
