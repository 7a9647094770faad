import express, { type Express, type Request, type RequestHandler, type Response } from 'express'
import session from 'express-session'
import helmet from 'helmet'
import passport from 'passport'
import {
  cookieLoginState,
  createRevokeGuard,
  createRevokeRouter,
  DEFAULT_ISSUER,
  FreedomIdStrategy,
  type FreedomIdAuthenticateOptions,
} from '../src/index.js'
import { CALLBACK_PATH, type AppConfig } from './config.js'
import { createErrorHandler, notFound } from './error-handler.js'
import { sameOriginPath } from './return-to.js'
import { failureCode, sentenceFor } from './sign-in-messages.js'
import { requireSameOrigin } from './same-origin.js'
import { createMemoryStores, type AppStores } from './stores.js'
import { toAppUser, type AppUser } from './user.js'
import { userCookie } from './user-cookie.js'
import { FAVICON, homePage, profilePage, STYLESHEET, type ProviderLabel } from './views.js'

declare module 'express-session' {
  interface SessionData {
    /** The last failed sign-in, shown once on the home page. */
    loginError?: { code: string; message: string }
  }
}

/** What the strategy hands to the sign-in callback: a failure's challenge, or a success's info. */
interface SignInInfo {
  message?: string
  code?: string
  providerCode?: unknown
  returnTo?: unknown
  tokenId?: string
}

/** Lifetime of the session cookie: 8 hours. */
export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000

/** Name of the session cookie. */
export const SESSION_COOKIE = 'freedom-id-example.sid'

const NOTICES: Record<string, string> = {
  app: 'You signed out of this app. Your Freedom ID session may still be open.',
  'freedom-id': "You signed out of Freedom ID, which ended this app's session too.",
}

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html)
}

function originOf(req: Request): string {
  return `${req.protocol}://${req.host}`
}

/**
 * The example app: sign-in with Freedom ID (or the emulator), a profile page, local sign-out, and provider sign-out
 * through the revoke route. No `listen`: see `server.ts`. `stores` defaults to memory stores.
 */
export function createApp(config: AppConfig, stores: AppStores = createMemoryStores()): Express {
  const log = config.log ?? ((line: string) => console.error(line))
  const provider: ProviderLabel = { mode: config.mode, issuer: (config.issuer ?? DEFAULT_ISSUER).replace(/\/+$/, '') }
  /** `LOGIN_STATE=cookie`: no session; the user lives in a signed cookie. */
  const cookies = config.loginState === 'cookie' ? userCookie(config.sessionSecret, SESSION_MAX_AGE_MS, stores.deniedTokens) : undefined

  const strategy = new FreedomIdStrategy(
    {
      clientID: config.clientID,
      clientSecret: config.clientSecret,
      callbackURL: config.callbackURL,
      ...(config.origins !== undefined && { origins: config.origins }),
      protocol: config.protocol,
      scope: config.scope,
      ...(config.issuer !== undefined && { issuer: config.issuer }),
      ...(config.revokeURL !== undefined && { revokeURL: config.revokeURL }),
      ...(config.revokeURL !== undefined && !cookies && { sessionIndex: stores.sessionIndex }),
      ...(cookies && { loginState: cookieLoginState({ secret: config.sessionSecret }) }),
      // The strict emulator compares redirect_uri exactly, so the OAuth2 state cannot ride in its query.
      ...(config.emulatorStrict && config.protocol === 'oauth2' && { stateInRedirectURI: false }),
      passParamsToCallback: true,
    },
    (_accessToken, _refreshToken, params, profile, done) => done(null, toAppUser(params, profile)),
  )
  const auth = new passport.Passport()
  auth.use(strategy)
  auth.serializeUser((user, done) => done(null, user))
  auth.deserializeUser((user: Express.User, done) => done(null, user))

  const app = express()
  app.set('trust proxy', config.trustProxy)
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          formAction: ["'self'", ...(config.mode === 'emulator' ? [new URL(provider.issuer).origin] : [])],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      // HSTS pins a host name to HTTPS on every port; the emulator mode runs on plain http://localhost.
      strictTransportSecurity: config.mode === 'freedom-id',
    }),
  )
  app.get('/favicon.svg', (_req, res) => {
    res.type('image/svg+xml').set('Cache-Control', 'public, max-age=86400').send(FAVICON)
  })
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/favicon.svg'))
  app.get('/style.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(STYLESHEET)
  })
  // Before the session middleware: Freedom ID's call carries no cookie and must not create a session.
  // At a secret path, from allowed sources only when REVOKE_ALLOW_FROM is set, and junk rate-limited per source.
  const revokeHardening = {
    rateLimit: { max: 100, windowMs: 60_000 },
    ...(config.revokeAllowFrom !== undefined && { allowFrom: config.revokeAllowFrom }),
  }
  if (cookies) {
    app.use(config.revokePath, createRevokeRouter({ ...revokeHardening, onRevoke: (tokenId) => stores.deniedTokens.add(tokenId, SESSION_MAX_AGE_MS) }))
    app.use(auth.initialize())
    app.use(cookies.middleware())
  } else {
    app.use(
      config.revokePath,
      createRevokeRouter({ ...revokeHardening, sessionIndex: stores.sessionIndex, sessionStore: stores.sessionStore }),
    )
    app.use(
      session({
        name: SESSION_COOKIE,
        secret: config.sessionSecret,
        store: stores.sessionStore,
        resave: false,
        saveUninitialized: false,
        cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: SESSION_MAX_AGE_MS },
      }),
    )
    app.use(auth.initialize())
    app.use(auth.session())
    app.use(createRevokeGuard({ sessionIndex: stores.sessionIndex }))
  }

  app.get('/', async (req, res) => {
    const flash = cookies ? await cookies.takeFlash(req, res) : req.session.loginError
    if (flash && !cookies) delete req.session.loginError
    const code = typeof req.query.error === 'string' && /^[A-Z_]{1,40}$/.test(req.query.error) ? req.query.error : undefined
    const error = code === undefined ? undefined : sentenceFor(flash?.code === code ? flash.code : code)
    const signedOut = typeof req.query.signedOut === 'string' ? req.query.signedOut : ''
    const notice = req.user ? undefined : NOTICES[signedOut]
    sendPage(res, 200, homePage({ provider, user: req.user as AppUser | undefined, error, notice }))
  })

  /** Runs the strategy; a failed sign-in goes home with its code, a signed-in user to `returnTo` or the profile. */
  const signIn = (options: FreedomIdAuthenticateOptions): RequestHandler => (req, res, next) => {
    auth.authenticate(strategy.name, { ...options, session: !cookies }, (err: unknown, user: AppUser | false, info?: SignInInfo) => {
      if (err) return next(err)
      if (!user) {
        const code = failureCode(info)
        // A signed-in person who comes back to a used callback (the back button, a reload) just goes on.
        if (req.user && code === 'STATE_MISSING') return res.redirect('/profile')
        log(`sign-in failed: ${info?.code ?? code}: ${info?.message ?? '(no message)'}`)
        const loginError = { code, message: info?.message ?? 'The sign-in failed.' }
        const home = `/?error=${encodeURIComponent(code)}`
        if (cookies) return void cookies.flash(req, res, loginError).then(() => res.redirect(home), next)
        req.session.loginError = loginError
        return res.redirect(home)
      }
      if (cookies) {
        cookies.issue(req, res, user, info?.tokenId).then(() => res.redirect(sameOriginPath(info?.returnTo) ?? '/profile'), next)
        return
      }
      req.logIn(user, (loginErr) => {
        if (loginErr) return next(loginErr)
        res.redirect(sameOriginPath(info?.returnTo) ?? '/profile')
      })
    })(req, res, next)
  }
  app.get('/auth/freedom-id', (req, res, next) => signIn({ returnTo: sameOriginPath(req.query.returnTo) ?? '/profile' })(req, res, next))
  app.get(CALLBACK_PATH, signIn({}))

  app.get('/profile', (req, res) => {
    if (!req.user) return res.redirect('/')
    const providerSignOut =
      config.mode === 'emulator'
        ? { action: `${provider.issuer}/__emulator/logout`, returnTo: `${originOf(req)}/?signedOut=freedom-id` }
        : undefined
    sendPage(res, 200, profilePage({ provider, user: req.user as AppUser, providerSignOut }))
  })

  app.post('/logout', requireSameOrigin(), (req, res, next) => {
    if (cookies) {
      cookies.clear(req, res)
      return res.redirect(303, '/?signedOut=app')
    }
    req.logout((err) => (err ? next(err) : res.redirect(303, '/?signedOut=app')))
  })

  app.use(notFound(provider))
  app.use(createErrorHandler(provider, log))
  return app
}
