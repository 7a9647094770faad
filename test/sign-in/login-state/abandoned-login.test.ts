import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import express from 'express'
import session from 'express-session'
import passport from 'passport'
import request from 'supertest'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../../src/emulator/index.js'
import { LOGIN_RECORD_TTL_MS } from '../../../src/sign-in/login-state/record.js'
import { FreedomIdStrategy } from '../../../src/sign-in/strategy.js'
import type { FreedomIdProfile } from '../../../src/sign-in/profile.js'
import { authorize } from '../../helpers/login.js'

const APP_MAX_AGE = 8 * 60 * 60 * 1000

let emulator: RunningEmulator
let server: Server
let url: string
let strategy: FreedomIdStrategy
const store = new session.MemoryStore()

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
  const pp = new passport.Passport()
  strategy = new FreedomIdStrategy(
    {
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: 'http://127.0.0.1/auth/callback',
      issuer: emulator.url,
    },
    (_a: string, _r: string, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => done(null, { id: profile.id }),
  )
  pp.use(strategy)
  pp.serializeUser((u, done) => done(null, u))
  pp.deserializeUser((u: Express.User, done) => done(null, u))
  const app = express()
  app.use(session({ secret: 's', resave: false, saveUninitialized: false, store, cookie: { maxAge: APP_MAX_AGE } }))
  app.use(pp.initialize(), pp.session())
  app.get('/auth', pp.authenticate('freedom-id'))
  app.get('/auth/callback', pp.authenticate('freedom-id', { successRedirect: '/me', failureRedirect: '/failed' }))
  app.get('/me', (req, res) => res.status(req.user ? 200 : 401).json({ sid: req.sessionID }))
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await strategy._http.close()
  await new Promise((resolve) => server.close(resolve))
  await emulator.close()
})

/** Milliseconds from now until each stored session expires, by session id. */
async function storedLifetimes(): Promise<Map<string, number>> {
  const all = await new Promise<Record<string, session.SessionData>>((resolve, reject) =>
    store.all((err, sessions) => (err ? reject(err) : resolve((sessions ?? {}) as Record<string, session.SessionData>))),
  )
  return new Map(Object.entries(all).map(([sid, s]) => [sid, new Date(s.cookie.expires!).getTime() - Date.now()]))
}

function cookieLifetime(res: request.Response): number {
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('connect.sid='))!
  return new Date(/Expires=([^;]+)/.exec(cookie)![1]!).getTime() - Date.now()
}

describe('a session that holds only pending logins', () => {
  test('20 abandoned sign-in starts leave sessions that expire with their login records, not after 8 hours', async () => {
    const before = new Set((await storedLifetimes()).keys())
    for (let i = 0; i < 20; i++) {
      const start = await request(url).get('/auth').expect(302)
      expect(cookieLifetime(start)).toBeLessThanOrEqual(LOGIN_RECORD_TTL_MS)
    }
    const fresh = [...(await storedLifetimes())].filter(([sid]) => !before.has(sid))
    expect(fresh).toHaveLength(20)
    for (const [, left] of fresh) {
      expect(left).toBeLessThanOrEqual(LOGIN_RECORD_TTL_MS)
      expect(left).toBeGreaterThan(LOGIN_RECORD_TTL_MS - 60_000)
    }
  })

  test("a completed login gets the app's maxAge back", async () => {
    const agent = request.agent(url)
    const start = await agent.get('/auth').expect(302)
    const callback = await authorize(start.headers.location!)
    const done = await agent.get(`/auth/callback?${callback}`).expect(302).expect('location', '/me')
    expect(cookieLifetime(done)).toBeGreaterThan(APP_MAX_AGE - 60_000)
    const { sid } = (await agent.get('/me').expect(200)).body as { sid: string }
    expect((await storedLifetimes()).get(sid)).toBeGreaterThan(APP_MAX_AGE - 60_000)
  })

  test("a signed-in user's session keeps the app's maxAge when another sign-in starts", async () => {
    const agent = request.agent(url)
    const start = await agent.get('/auth').expect(302)
    await agent.get(`/auth/callback?${await authorize(start.headers.location!)}`).expect(302)
    const { sid } = (await agent.get('/me').expect(200)).body as { sid: string }
    await agent.get('/auth').expect(302)
    expect((await storedLifetimes()).get(sid)).toBeGreaterThan(APP_MAX_AGE - 60_000)
  })
})
