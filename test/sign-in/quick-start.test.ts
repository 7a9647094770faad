import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import express from 'express'
import session from 'express-session'
import passport from 'passport'
import request from 'supertest'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { FreedomIdStrategy, type FreedomIdProfile } from '../../src/index.js'
import { authorize } from '../helpers/login.js'

let emulator: RunningEmulator
let strategy: FreedomIdStrategy

/** A plain Express app written the way the README's quick start says. */
function createApp() {
  const app = express()
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }))
  const pp = new passport.Passport()
  strategy = new FreedomIdStrategy(
    {
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: 'https://app.example/auth/freedom-id/callback', // absolute: see the callbackURL option
      issuer: emulator.url,
      scope: ['read.email', 'read.firstname', 'read.lastname'],
    },
    (_accessToken: string, _refreshToken: string, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) =>
      done(null, { id: profile.id, name: profile.displayName, email: profile.emails[0]?.value }),
  )
  pp.use(strategy)
  pp.serializeUser((user, done) => done(null, user))
  pp.deserializeUser((user: Express.User, done) => done(null, user))
  app.use(pp.initialize())
  app.use(pp.session())
  app.get('/auth/freedom-id', pp.authenticate('freedom-id'))
  app.get('/auth/freedom-id/callback', pp.authenticate('freedom-id', { failureRedirect: '/login', failureMessage: true }), (req, res) =>
    res.redirect('/me'),
  )
  app.get('/me', (req, res) => {
    if (!req.user) return res.status(401).json({ signedIn: false })
    res.json(req.user)
  })
  app.get('/login', (req, res) => res.json({ messages: (req.session as unknown as { messages?: string[] }).messages ?? [] }))
  return app
}

beforeAll(async () => {
  // The quick start's callbackURL, registered exactly as with Freedom ID.
  const redirectURIs = ['https://app.example/auth/freedom-id/callback']
  emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub, clients: [{ ...DEMO_CLIENT, redirectURIs }] })
})
afterAll(async () => {
  await strategy?._http.close()
  await emulator.close()
})

describe('a plain Express app', () => {
  it('signs a user in through the emulator and keeps them signed in', async () => {
    const agent = request.agent(createApp())
    const start = await agent.get('/auth/freedom-id').expect(302)
    expect(start.headers.location).toMatch(new RegExp(`^${emulator.url}/openid\\?`))
    const callback = await authorize(start.headers.location!)
    await agent.get(`/auth/freedom-id/callback?${callback}`).expect(302).expect('location', '/me')
    const me = await agent.get('/me').expect(200)
    expect(me.body).toEqual({ id: DEFAULT_USERS[0]!.sub, name: `${DEFAULT_USERS[0]!.firstname} ${DEFAULT_USERS[0]!.lastname}`, email: DEFAULT_USERS[0]!.email })
  })

  it('sends a failed login to failureRedirect with a message a developer can act on', async () => {
    const agent = request.agent(createApp())
    await agent.get('/auth/freedom-id').expect(302)
    await agent.get('/auth/freedom-id/callback?code=forged&state=forged').expect(302).expect('location', '/login')
    const page = await agent.get('/login').expect(200)
    expect(page.body.messages[0]).toMatch(/No pending Freedom ID login/)
    await agent.get('/me').expect(401)
  })

  it('answers 502, not 500, when the provider fails', async () => {
    const agent = request.agent(createApp())
    const start = await agent.get('/auth/freedom-id').expect(302)
    const callback = await authorize(start.headers.location!)
    emulator.nextTokenResponse({ status: 503, rawBody: 'busy', contentType: 'text/plain' })
    await agent.get(`/auth/freedom-id/callback?${callback}`).expect(502)
  })
})
