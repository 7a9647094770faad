import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import express from 'express'
import session from 'express-session'
import passport from 'passport'
import request from 'supertest'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'
import type { FreedomIdProfile } from '../../src/sign-in/profile.js'
import { authorize, login } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

const user = DEFAULT_USERS[0]!
const protocols: Array<['oidc' | 'oauth2']> = [['oidc'], ['oauth2']]
let emulator: RunningEmulator

const make = strategyMaker(() => emulator.url, { scope: ['read.email', 'read.firstname', 'read.lastname'] })
const strategy = (protocol: 'oidc' | 'oauth2', overrides: Partial<FreedomIdStrategyOptions> = {}) =>
  make(
    { protocol, ...overrides },
    (_accessToken: string, _refreshToken: string, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) =>
      done(null, { id: profile.id, name: profile.displayName, emails: profile.emails }),
  )

/** One Express app offering both flavours, each under its own strategy name and routes. */
function createApp(clientSecret: string = DEMO_CLIENT.clientSecret) {
  const app = express()
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }))
  const pp = new passport.Passport()
  for (const [protocol] of protocols) pp.use(`freedom-id-${protocol}`, strategy(protocol, { callbackURL: `http://127.0.0.1/auth/${protocol}/callback`, clientSecret }))
  pp.serializeUser((u, done) => done(null, u))
  pp.deserializeUser((u: Express.User, done) => done(null, u))
  app.use(pp.initialize())
  app.use(pp.session())
  app.get('/auth/:protocol', (req, res, next) => pp.authenticate(`freedom-id-${req.params.protocol}`)(req, res, next))
  app.get('/auth/:protocol/callback', (req, res, next) =>
    pp.authenticate(`freedom-id-${req.params.protocol}`, { failureRedirect: '/login' })(req, res, next),
  (_req, res) => res.redirect('/me'))
  app.get('/me', (req, res) => (req.user ? res.json(req.user) : res.status(401).json({ signedIn: false })))
  return app
}

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(async () => {
  await make.closeAll()
  await emulator.close()
})
beforeEach(() => emulator.reset())

describe('both flavours', () => {
  it.each(protocols)('%s signs the same user in with the same profile through the harness', async (protocol) => {
    const { outcome } = await login(strategy(protocol))
    expect(outcome).toEqual({
      type: 'success',
      user: { id: user.sub, name: `${user.firstname} ${user.lastname}`, emails: [{ value: user.email, primary: true }] },
      info: { tokenId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    })
  })

  it.each(protocols)('%s signs a user in through a real Express app with express-session', async (protocol) => {
    const agent = request.agent(createApp())
    const start = await agent.get(`/auth/${protocol}`).expect(302)
    const expected = protocol === 'oidc' ? `${emulator.url}/openid?` : `${emulator.url}/login?track_id=`
    expect(start.headers.location!.startsWith(expected)).toBe(true)
    const callback = await authorize(start.headers.location!)
    await agent.get(`/auth/${protocol}/callback?${callback}`).expect(302).expect('location', '/me')
    const me = await agent.get('/me').expect(200)
    expect(me.body).toMatchObject({ id: user.sub, name: `${user.firstname} ${user.lastname}` })
  })

  it.each(protocols)('%s sends a forged callback to failureRedirect', async (protocol) => {
    const agent = request.agent(createApp())
    await agent.get(`/auth/${protocol}`).expect(302)
    const code = protocol === 'oidc' ? 'code' : 'authorization_code'
    await agent.get(`/auth/${protocol}/callback?${code}=forged&state=forged`).expect(302).expect('location', '/login')
    await agent.get('/me').expect(401)
  })

  it('answers 502, not 500, when the authorization-link call is refused', async () => {
    await request(createApp('wrong-secret')).get('/auth/oauth2').expect(502)
  })
})
