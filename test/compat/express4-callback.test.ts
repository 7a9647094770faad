import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import express4 from 'express4'
import session from 'express-session'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import passport from 'passport'
import request from 'supertest'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import { FreedomIdStrategy } from '../../src/index.js'
import { authorize } from '../helpers/login.js'
import { signInById } from '../helpers/strategies.js'

let emulator: RunningEmulator
let server: Server
let origin: string
let strategy: FreedomIdStrategy

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
  const app = express4()
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const pp = new passport.Passport()
  strategy = new FreedomIdStrategy(
    { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, issuer: emulator.url, callbackURL: '/cb', origins: origin },
    signInById,
  )
  pp.use(strategy)
  pp.serializeUser((user, done) => done(null, user))
  pp.deserializeUser((user: Express.User, done) => done(null, user))
  app.use(session({ secret: 's', resave: false, saveUninitialized: false }))
  app.use(pp.initialize())
  app.use(pp.session())
  app.get('/login', pp.authenticate('freedom-id'))
  app.get('/cb', pp.authenticate('freedom-id'), (req, res) => res.json(req.user))
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await strategy._http.close()
  await emulator.close()
})

describe('Express 4 on a port other than 80', () => {
  it('keeps the port in redirect_uri (Express 4\'s req.host drops it) and signs the user in', async () => {
    const agent = request.agent(origin)
    const start = await agent.get('/login').timeout(5000).expect(302)
    expect(new URL(start.headers.location!).searchParams.get('redirect_uri')).toBe(`${origin}/cb`)
    const callback = await authorize(start.headers.location!)
    const me = await agent.get(`/cb?${callback}`).timeout(5000).expect(200)
    expect(me.body).toEqual({ id: DEFAULT_USERS[0]!.sub })
  })

  it('ignores Host: evil.example when building redirect_uri', async () => {
    const start = await request(origin).get('/login').set('Host', 'evil.example').timeout(5000).expect(302)
    expect(new URL(start.headers.location!).searchParams.get('redirect_uri')).toBe(`${origin}/cb`)
  })
})
