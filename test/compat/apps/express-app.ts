import cookieSession from 'cookie-session'
import type express from 'express'
import session from 'express-session'
import type { PassportStatic } from 'passport'
import {
  createRevokeGuard,
  createRevokeRouter,
  FreedomIdStrategy,
  MemorySessionIndex,
  type FreedomIdStrategyOptions,
  type FreedomIdVerify,
} from '../../../src/index.js'

/** What differs between the stacks of the matrix: the framework and Passport majors, and the session middleware. */
export interface ExpressStack {
  express: typeof express
  /** `new Passport()` of the major under test; the README uses the module's default instance, of the same type. */
  passport: PassportStatic
  session: 'express-session' | 'cookie-session'
  /** cookie-session only: add the README's `regenerate`/`save` shims. Default `true`. */
  shims?: boolean
}

/** The app under test: the README's Express (or cookie-session) section, plus a profile route to look at. */
export function createExpressApp(stack: ExpressStack, options: FreedomIdStrategyOptions, verify: FreedomIdVerify, appURL: string) {
  const { express, passport } = stack
  const sessionSecret = 'compat-suite-session-secret'
  const app = express()
  const sessionIndex = new MemorySessionIndex()

  if (stack.session === 'express-session') {
    // #region README express
    const store = new session.MemoryStore() // in production: a shared store such as connect-redis
    passport.use(new FreedomIdStrategy({ ...options, revokeURL: `${appURL}/auth/freedom-id/revoke`, sessionIndex }, verify))
    passport.serializeUser((user, done) => done(null, user))
    passport.deserializeUser((user: Express.User, done) => done(null, user))

    app.post('/auth/freedom-id/revoke', createRevokeRouter({ sessionIndex, sessionStore: store }))
    app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, store }))
    app.use(passport.initialize())
    app.use(passport.session())
    app.use(createRevokeGuard({ sessionIndex }))
    // #endregion
  } else {
    // #region README cookie-session
    passport.use(new FreedomIdStrategy({ ...options, revokeURL: `${appURL}/auth/freedom-id/revoke`, sessionIndex }, verify))
    passport.serializeUser((user, done) => done(null, user))
    passport.deserializeUser((user: Express.User, done) => done(null, user))

    app.post('/auth/freedom-id/revoke', createRevokeRouter({ sessionIndex })) // no store: the guard ends the session
    app.use(cookieSession({ secret: sessionSecret, httpOnly: true, sameSite: 'lax' }))
    if (stack.shims !== false) {
      app.use((req, _res, next) => {
        // Passport 0.6 and later call these at login and logout; cookie-session has neither.
        const cookie = req.session as unknown as Record<string, unknown>
        cookie.regenerate ??= (done: () => void) => done()
        cookie.save ??= (done: () => void) => done()
        next()
      })
    }
    app.use(passport.initialize())
    app.use(passport.session())
    app.use(createRevokeGuard({ sessionIndex }))
    // #endregion
  }

  // #region README express routes
  app.get('/auth/freedom-id', passport.authenticate('freedom-id'))
  app.get('/auth/freedom-id/callback',
    passport.authenticate('freedom-id', { failureRedirect: '/login' }),
    (req, res) => res.redirect('/profile'))
  app.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.redirect('/'))))
  // #endregion
  app.get('/profile', (req, res) => (req.user ? res.json(req.user) : res.status(401).json({ signedIn: false })))
  return app
}
