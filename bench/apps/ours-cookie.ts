import express from 'express'
import { MemoryStore } from 'express-session'
import passport from 'passport'
import { cookieLoginState, FreedomIdStrategy, type FreedomIdProfile } from '../../src/index.js'
import { BENCH_SCOPE, signedIn, type BenchUser } from './shell.js'
import type { BenchApp, BenchAppConfig } from './types.js'

/**
 * Ours without sessions: the same strategy with `cookieLoginState` and `session: false`, no session middleware. The
 * callback answers the user id as the session apps do; a real app would issue its own token there, which is not
 * counted. Its `store` stays empty: nothing is kept on the server.
 */
export async function createOursCookieApp(config: BenchAppConfig): Promise<BenchApp> {
  const app = express()
  app.set('etag', false)
  const pp = new passport.Passport()
  const strategy = new FreedomIdStrategy(
    {
      clientID: config.clientID,
      clientSecret: config.clientSecret,
      callbackURL: `${config.appURL}/callback`,
      issuer: config.issuer,
      scope: BENCH_SCOPE,
      loginState: cookieLoginState({ secret: 'bench-login-cookie-secret-of-32-characters' }),
    },
    (_accessToken: string, _refreshToken: string, profile: FreedomIdProfile, done: (err: null, user: BenchUser) => void) =>
      done(null, { id: profile.id }),
  )
  pp.use(strategy)
  app.use(pp.initialize())
  app.get('/login', pp.authenticate('freedom-id', { session: false }))
  app.get('/callback', pp.authenticate('freedom-id', { session: false }), (req, res) => signedIn(req.user as BenchUser | undefined, res))
  return { app, store: new MemoryStore(), close: () => strategy._http.close() }
}
