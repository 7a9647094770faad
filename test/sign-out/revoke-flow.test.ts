import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import express from 'express'
import session from 'express-session'
import passport from 'passport'
import request from 'supertest'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { FreedomIdStrategy, type FreedomIdProfile } from '../../src/index.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { createRevokeRouter } from '../../src/sign-out/revoke-router.js'
import { SESSION_TOKEN_ID_KEY } from '../../src/sign-out/session-index/types.js'
import { authorize } from '../helpers/login.js'

const [alice, bob] = [DEFAULT_USERS[0]!, DEFAULT_USERS[1]!]
let emulator: RunningEmulator
let server: Server
let appURL: string
let store: session.MemoryStore
let sessionIndex: MemorySessionIndex
let strategy: FreedomIdStrategy

beforeAll(async () => {
  emulator = await startEmulator()
  store = new session.MemoryStore()
  sessionIndex = new MemorySessionIndex()
  const app = express()
  app.use('/auth/freedom-id/revoke', createRevokeRouter({ sessionIndex, sessionStore: store }))
  app.use(session({ secret: 's', resave: false, saveUninitialized: false, store, cookie: { maxAge: 3_600_000 } }))
  const pp = new passport.Passport()
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  appURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  strategy = new FreedomIdStrategy(
    {
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: '/auth/freedom-id/callback',
      origins: appURL,
      issuer: emulator.url,
      revokeURL: `${appURL}/auth/freedom-id/revoke`,
      sessionIndex,
    },
    (_a: string, _r: string, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => done(null, { id: profile.id }),
  )
  pp.use(strategy)
  pp.serializeUser((user, done) => done(null, user))
  pp.deserializeUser((user: Express.User, done) => done(null, user))
  app.use(pp.initialize())
  app.use(pp.session())
  app.get('/auth/freedom-id', pp.authenticate('freedom-id'))
  app.get('/auth/freedom-id/callback', pp.authenticate('freedom-id', { successRedirect: '/me', failureRedirect: '/' }))
  // The same login without successRedirect: the route handler answers after Passport's login.
  const next = pp.authenticate('freedom-id', { callbackURL: '/auth/freedom-id/callback-next' } as passport.AuthenticateOptions)
  app.get('/auth/freedom-id/next', next)
  app.get('/auth/freedom-id/callback-next', next, (_req, res) => res.redirect('/me'))
  app.get('/me', (req, res) => {
    if (!req.user) return res.status(401).json({ signedIn: false })
    res.json({ user: req.user, tokenId: (req.session as unknown as Record<string, unknown>)[SESSION_TOKEN_ID_KEY] })
  })
})
afterAll(async () => {
  await strategy._http.close()
  await new Promise((resolve) => server.close(resolve))
  await emulator.close()
})
beforeEach(() => emulator.reset())

async function signIn(sub: string, withSuccessRedirect = true) {
  emulator.setAutoLogin(sub)
  const agent = request.agent(appURL)
  const start = await agent.get(withSuccessRedirect ? '/auth/freedom-id' : '/auth/freedom-id/next').expect(302)
  const callback = await authorize(start.headers.location!)
  const callbackPath = withSuccessRedirect ? '/auth/freedom-id/callback' : '/auth/freedom-id/callback-next'
  await agent.get(`${callbackPath}?${callback}`).expect(302).expect('location', '/me')
  const me = await agent.get('/me').expect(200)
  return { agent, tokenId: me.body.tokenId as string }
}

describe('provider sign-out through revoke_uri', () => {
  it("ends every session of that login and leaves another user's session alone", async () => {
    const a = await signIn(alice.sub)
    const b = await signIn(bob.sub)
    expect(a.tokenId).toMatch(/^[0-9a-f-]{36}$/)
    const deliveries = await emulator.logout({ sub: alice.sub })
    expect(deliveries).toEqual([{ id: a.tokenId, revokeURI: `${appURL}/auth/freedom-id/revoke`, status: 204 }])
    await a.agent.get('/me').expect(401)
    await b.agent.get('/me').expect(200)
  })

  it('binds the final session id, after Passport regenerated the session', async () => {
    const a = await signIn(alice.sub)
    const [sid] = (await sessionIndex.revoke(a.tokenId)) ?? []
    expect(sid).toBeDefined()
    const stored = await new Promise((resolve) => store.get(sid!, (_e, s) => resolve(s)))
    expect(stored).toMatchObject({ passport: { user: { id: alice.sub } }, [SESSION_TOKEN_ID_KEY]: a.tokenId })
  })

  it('binds without successRedirect too, when the route handler redirects itself', async () => {
    const a = await signIn(alice.sub, false)
    await emulator.logout({ tokenId: a.tokenId })
    await a.agent.get('/me').expect(401)
  })
})
