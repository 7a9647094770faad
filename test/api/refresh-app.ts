/* One app process for the two-process refresh test: connect-redis sessions, the strategy, the refresher with `redis`. */
import { RedisStore } from 'connect-redis'
import express, { type Request } from 'express'
import session from 'express-session'
import passport from 'passport'
import { createClient } from 'redis'
import { DEMO_CLIENT } from '../../src/emulator/index.js'
import { createFreedomIdClient, createTokenRefresher, FreedomIdStrategy, keepTokensOnLogIn, readSessionTokens } from '../../src/index.js'
import type { FreedomIdParams, FreedomIdProfile } from '../../src/index.js'

const client = createClient({ url: process.env.REDIS_URL! })
await client.connect()
const apiClient = createFreedomIdClient({ clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, issuer: process.env.EMULATOR_URL!, timeout: 15_000 })
const pp = new passport.Passport()
pp.use(
  new FreedomIdStrategy(
    {
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: 'http://127.0.0.1/auth/callback',
      issuer: process.env.EMULATOR_URL!,
      protocol: 'oauth2',
      scope: ['read.email'],
      passReqToCallback: true,
    },
    (req: Request, _a: string, _r: string, params: FreedomIdParams, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => {
      keepTokensOnLogIn(req, params)
      done(null, { id: profile.id })
    },
  ),
)
pp.serializeUser((u, done) => done(null, u))
pp.deserializeUser((u: Express.User, done) => done(null, u))
const app = express()
app.use(session({ secret: 'shared secret', resave: false, saveUninitialized: false, store: new RedisStore({ client }) }))
app.use(pp.initialize(), pp.session())
app.use(createTokenRefresher({ client: apiClient, ...(process.env.SHARED === '1' && { redis: { client } }) }))
app.get('/auth', pp.authenticate('freedom-id'))
app.get('/auth/callback', pp.authenticate('freedom-id'), (_req, res) => res.redirect('/me'))
app.post('/test/expire', (req, res) => {
  readSessionTokens(req)!.access_expire_at = new Date(Date.now() - 1000).toISOString()
  res.status(204).end()
})
app.get('/me', (req, res) => res.status(req.user ? 200 : 401).json({ tokens: readSessionTokens(req) ?? null }))
const server = app.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`))
