import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import express, { type Request } from 'express'
import session from 'express-session'
import passport from 'passport'
import request from 'supertest'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import {
  createFreedomIdClient,
  createRevokeRouter,
  createTokenRefresher,
  FreedomIdStrategy,
  keepTokensOnLogIn,
  MemorySessionIndex,
  readSessionTokens,
  type FreedomIdClient,
  type FreedomIdParams,
  type FreedomIdProfile,
} from '../../src/index.js'
import { authorize } from '../helpers/login.js'

/**
 * Provider sign-out after a token refresh, against the strict emulator: Freedom ID may POST the token id the code
 * exchange returned (`revokeTokenId: 'original'`, the strict side) or the newest one; either must end the session.
 */

const alice = DEFAULT_USERS[0]!
const CALLBACK_PATH = '/auth/freedom-id/callback'

interface Running {
  emulator: RunningEmulator
  appURL: string
  close(): Promise<void>
}

async function start(revokeTokenId: 'original' | 'newest'): Promise<Running> {
  const store = new session.MemoryStore()
  const sessionIndex = new MemorySessionIndex()
  const app = express()
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const appURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const emulator = await startEmulator({
    strict: true,
    revokeTokenId,
    autoLogin: alice.sub,
    clients: [{ ...DEMO_CLIENT, redirectURIs: [`${appURL}${CALLBACK_PATH}`] }],
  })
  const client: FreedomIdClient = createFreedomIdClient({ clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, issuer: emulator.url })
  const strategy = new FreedomIdStrategy(
    {
      protocol: 'oauth2',
      stateInRedirectURI: false,
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: `${appURL}${CALLBACK_PATH}`,
      issuer: emulator.url,
      scope: ['read.email'],
      revokeURL: `${appURL}/auth/freedom-id/revoke`,
      sessionIndex,
      passReqToCallback: true,
    },
    (req: Request, _a: string, _r: string, params: FreedomIdParams, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => {
      keepTokensOnLogIn(req, params)
      done(null, { id: profile.id })
    },
  )
  app.use('/auth/freedom-id/revoke', createRevokeRouter({ sessionIndex, sessionStore: store }))
  app.use(session({ secret: 's', resave: false, saveUninitialized: false, store, cookie: { maxAge: 3_600_000 } }))
  const pp = new passport.Passport()
  pp.use(strategy)
  pp.serializeUser((user, done) => done(null, user))
  pp.deserializeUser((user: Express.User, done) => done(null, user))
  app.use(pp.initialize())
  app.use(pp.session())
  app.use(createTokenRefresher({ client, sessionIndex }))
  app.get('/auth/freedom-id', pp.authenticate('freedom-id'))
  app.get(CALLBACK_PATH, pp.authenticate('freedom-id', { successRedirect: '/me', failureRedirect: '/' }))
  app.post('/test/expire', (req, res) => {
    readSessionTokens(req)!.access_expire_at = new Date(Date.now() - 1000).toISOString()
    res.status(204).end()
  })
  app.get('/me', (req, res) => {
    if (!req.user) return res.status(401).json({ signedIn: false })
    res.json({ user: req.user, tokens: readSessionTokens(req) })
  })
  return {
    emulator,
    appURL,
    close: async () => {
      await Promise.all([client.close(), strategy._http.close()])
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await emulator.close()
    },
  }
}

describe('provider sign-out after a refresh, on the strict emulator', () => {
  const running: Running[] = []
  afterAll(async () => {
    await Promise.all(running.map((r) => r.close()))
  })
  let original: Running
  let newest: Running
  beforeAll(async () => {
    original = await start('original')
    newest = await start('newest')
    running.push(original, newest)
  })

  it.each([
    ['the original token id (strict)', () => original, (first: string, _fresh: string) => first],
    ['the newest token id', () => newest, (_first: string, fresh: string) => fresh],
  ])('ends the session when Freedom ID POSTs %s', async (_name, which, expectedId) => {
    const { emulator, appURL } = which()
    const agent = request.agent(appURL)
    const begin = await agent.get('/auth/freedom-id').expect(302)
    const callback = await authorize(begin.headers.location!)
    await agent.get(`${CALLBACK_PATH}?${callback}`).expect(302).expect('location', '/me')
    const first = (await agent.get('/me').expect(200)).body.tokens.id as string
    await agent.post('/test/expire').expect(204)
    const fresh = (await agent.get('/me').expect(200)).body.tokens.id as string
    expect(fresh).not.toBe(first)

    const deliveries = await emulator.logout({ sub: alice.sub })
    expect(deliveries).toEqual([{ id: expectedId(first, fresh), revokeURI: `${appURL}/auth/freedom-id/revoke`, status: 204 }])
    await agent.get('/me').expect(401)
  })
})
