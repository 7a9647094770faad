import passport from 'passport'
import { FreedomIdStrategy, type FreedomIdProfile } from '../../src/index.js'
import { BENCH_SCOPE, createShell, mountPassport, type BenchUser } from './shell.js'
import type { BenchApp, BenchAppConfig } from './types.js'

/**
 * Ours: `FreedomIdStrategy` with its defaults (JSON token request, id_token signature verified, userinfo fetched), and
 * the config's `sessionIndex` when there is one.
 */
export async function createOursApp(config: BenchAppConfig): Promise<BenchApp> {
  const { app, store } = createShell()
  const pp = new passport.Passport()
  const strategy = new FreedomIdStrategy(
    {
      clientID: config.clientID,
      clientSecret: config.clientSecret,
      callbackURL: `${config.appURL}/callback`,
      issuer: config.issuer,
      scope: BENCH_SCOPE,
      ...(config.sessionIndex && { sessionIndex: config.sessionIndex }),
    },
    (_accessToken: string, _refreshToken: string, profile: FreedomIdProfile, done: (err: null, user: BenchUser) => void) =>
      done(null, { id: profile.id }),
  )
  pp.use(strategy)
  mountPassport(app, pp, 'freedom-id')
  return { app, store, close: () => strategy._http.close() }
}
