import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import passport from 'passport'
import { DEFAULT_USERS } from '../../../src/emulator/index.js'
import { cookieLoginState, PENDING_COOKIES_BUDGET, type CookieLoginStateOptions } from '../../../src/sign-in/login-state/cookie-store.js'
import type { LoginStateStore } from '../../../src/sign-in/login-state/types.js'
import type { FreedomIdStrategyOptions } from '../../../src/sign-in/options.js'
import { CookieBrowser, type BrowserResponse } from '../../helpers/cookie-browser.js'
import { withEmulator } from '../../helpers/emulator.js'
import { appServers } from '../../helpers/http-server.js'
import { authorize } from '../../helpers/login.js'
import { strategyMaker } from '../../helpers/strategies.js'

const SECRET = 'a-cookie-secret-of-at-least-32-characters'
const OLD_SECRET = 'the-previous-cookie-secret-32-characters!'
const emulator = withEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
const makeStrategy = strategyMaker(() => emulator().url)
const servers = appServers()

afterEach(() => servers.closeAll())
afterAll(() => makeStrategy.closeAll())

interface AppOptions {
  store?: LoginStateStore
  strategy?: Partial<FreedomIdStrategyOptions>
  verify?: unknown
  trustProxy?: boolean
}

/**
 * An Express app with no session middleware at all: `session: false`, the pending login in cookies, the callback
 * answering JSON (`{ user, info }`, or the failure challenge with 401). `setStore()` swaps the store of a running app
 * (a redeploy with a new secret).
 */
async function startApp(options: AppOptions = {}) {
  let base = ''
  let strategyOptions: Partial<FreedomIdStrategyOptions> = {}
  const pp = new passport.Passport()
  const use = (store: LoginStateStore) => {
    strategyOptions = { loginState: store, callbackURL: `${base}/auth/freedom-id/callback`, ...options.strategy }
    pp.use(makeStrategy(strategyOptions, options.verify))
  }
  const app = express()
  if (options.trustProxy) app.set('trust proxy', 'loopback')
  app.use(pp.initialize())
  app.get('/auth/freedom-id', pp.authenticate('freedom-id', { session: false }))
  app.get('/auth/freedom-id/callback', (req, res, next) =>
    pp.authenticate('freedom-id', { session: false }, (err: Error | null, user: unknown, info: unknown) => {
      if (err) return res.status(500).json({ error: err.message })
      if (!user) return res.status(401).json(info)
      res.json({ user, info })
    })(req, res, next),
  )
  app.get('/plain/callback', pp.authenticate('freedom-id', { session: false }), (req, res) => res.json({ user: req.user }))
  const server: Server = await servers.listen(app)
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  use(options.store ?? cookieLoginState({ secret: SECRET }))
  return { base, setStore: use }
}

/** Starts a login in `browser` and lets the emulator sign the user in; returns the callback URL (not yet visited). */
async function startLogin(browser: CookieBrowser, base: string, path = '/auth/freedom-id', headers: Record<string, string> = {}) {
  const start = await browser.get(`${base}${path}`, headers)
  expect(start.status).toBe(302)
  const query = await authorize(start.location!)
  return { start, callbackURL: `${base}/auth/freedom-id/callback?${query}` }
}

function json(res: BrowserResponse): Record<string, unknown> & { info?: Record<string, unknown>; code?: string } {
  return JSON.parse(res.body)
}

const loginCookies = (browser: CookieBrowser) => [...browser.jar.keys()].filter((n) => n.startsWith('freedom-id.login.'))

describe('cookieLoginState over HTTP, with no session middleware', () => {
  it('signs in with session: false and clears the login cookie at the callback', async () => {
    const { base } = await startApp()
    const browser = new CookieBrowser()
    const { start, callbackURL } = await startLogin(browser, base)
    expect(start.setCookies).toHaveLength(1)
    expect(loginCookies(browser)).toHaveLength(1)
    const done = await browser.get(callbackURL)
    expect(done.status).toBe(200)
    const body = json(done)
    expect(body.user).toEqual({ id: DEFAULT_USERS[0]!.sub })
    expect(body.info?.tokenId).toEqual(expect.any(String))
    expect(done.setCookies).toEqual([expect.objectContaining({ name: start.setCookies[0]!.name, maxAge: 0 })])
    expect(loginCookies(browser)).toEqual([])
  })

  it('works with the plain passport.authenticate() form and req.user', async () => {
    const { base } = await startApp()
    const browser = new CookieBrowser()
    const { callbackURL } = await startLogin(browser, base)
    const done = await browser.get(callbackURL.replace('/auth/freedom-id/callback', '/plain/callback'))
    // The cookie's Path is the callback's; this jar ignores paths, so the plain route receives it as well.
    expect(done.status).toBe(200)
    expect(json(done).user).toEqual({ id: DEFAULT_USERS[0]!.sub })
  })

  it('lets two tabs each finish, in either order', async () => {
    const { base } = await startApp()
    const browser = new CookieBrowser()
    const first = await startLogin(browser, base, '/auth/freedom-id?returnTo=/first')
    const second = await startLogin(browser, base, '/auth/freedom-id?returnTo=/second')
    expect(loginCookies(browser)).toHaveLength(2)
    const b = await browser.get(second.callbackURL)
    const a = await browser.get(first.callbackURL)
    expect([a.status, b.status]).toEqual([200, 200])
    expect([json(a).info?.returnTo, json(b).info?.returnTo]).toEqual(['/first', '/second'])
    expect(loginCookies(browser)).toEqual([])
  })

  it('a tampered cookie is STATE_MISSING, and is cleared', async () => {
    const { base } = await startApp()
    const browser = new CookieBrowser()
    const { callbackURL } = await startLogin(browser, base)
    const [name] = loginCookies(browser)
    const value = browser.jar.get(name!)!
    const at = value.length - 30
    browser.jar.set(name!, value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1))
    const done = await browser.get(callbackURL)
    expect(done.status).toBe(401)
    expect(json(done).code).toBe('STATE_MISSING')
    expect(loginCookies(browser)).toEqual([])
  })

  it('a callback in another browser, or with its cookie swapped in under the right name, is STATE_MISSING', async () => {
    const { base } = await startApp()
    const alice = new CookieBrowser()
    const mallory = new CookieBrowser()
    const alices = await startLogin(alice, base)
    await startLogin(mallory, base)
    expect(json(await mallory.get(alices.callbackURL)).code).toBe('STATE_MISSING')

    const mallorys = await startLogin(mallory, base)
    const [aliceName] = loginCookies(alice)
    const [malloryName] = loginCookies(mallory)
    alice.jar.set(aliceName!, mallory.jar.get(malloryName!)!)
    const swapped = await alice.get(alices.callbackURL)
    expect(swapped.status).toBe(401)
    expect(json(swapped).code).toBe('STATE_MISSING')
    expect((await mallory.get(mallorys.callbackURL)).status).toBe(200)
  })

  it('an expired login record is STATE_MISSING', async () => {
    const store = cookieLoginState({ secret: SECRET })
    const { base } = await startApp({ store })
    const browser = new CookieBrowser()
    const { start, callbackURL } = await startLogin(browser, base)
    const state = new URL(start.location!).searchParams.get('state')!
    const nonce = new URL(start.location!).searchParams.get('nonce')!
    // The same record, made 11 minutes ago (a browser that keeps cookies past Max-Age, or a clock far off).
    const headers = new Map<string, string[]>()
    const res = { getHeader: (n: string) => headers.get(n), setHeader: (n: string, v: string[]) => headers.set(n, v) }
    const created = Date.now() - 11 * 60 * 1000
    await store.put({ headers: {} } as never, res as never, {
      state,
      nonce,
      redirect_uri: `${base}/auth/freedom-id/callback`,
      created,
    })
    const [name, value] = headers.get('Set-Cookie')![0]!.split(';')[0]!.split('=')
    browser.jar.set(name!, value!)
    const done = await browser.get(callbackURL)
    expect(json(done).code).toBe('STATE_MISSING')
  })

  it('an oversized cookie under our name is cleared unread and the login is STATE_MISSING, not a 500', async () => {
    const { base } = await startApp()
    const browser = new CookieBrowser()
    const { callbackURL } = await startLogin(browser, base)
    const [name] = loginCookies(browser)
    browser.jar.set(name!, 'A'.repeat(6000))
    const done = await browser.get(callbackURL)
    expect(done.status).toBe(401)
    expect(json(done).code).toBe('STATE_MISSING')
    expect(loginCookies(browser)).toEqual([])
  })

  it('keeps at most maxPending login cookies, the oldest out, and within the byte budget with long returnTo paths', async () => {
    const { base } = await startApp({ store: cookieLoginState({ secret: SECRET, maxPending: 3 }) })
    const browser = new CookieBrowser()
    const starts: string[] = []
    for (let i = 0; i < 5; i++) {
      const res = await browser.get(`${base}/auth/freedom-id`)
      starts.push(new URL(res.location!).searchParams.get('state')!)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    expect(loginCookies(browser)).toHaveLength(3)

    const big = new CookieBrowser()
    const longPath = `/${'p'.repeat(2000)}`
    for (let i = 0; i < 5; i++) {
      await big.get(`${base}/auth/freedom-id?returnTo=${longPath}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const header = loginCookies(big).map((n) => `${n}=${big.jar.get(n)}`).join('; ')
    expect(loginCookies(big).length).toBeGreaterThanOrEqual(1)
    expect(header.length).toBeLessThanOrEqual(PENDING_COOKIES_BUDGET)
    for (const n of loginCookies(big)) expect(n.length + big.jar.get(n)!.length).toBeLessThan(4096)
    // The newest login is among those kept.
    const { callbackURL } = await startLogin(big, base, `/auth/freedom-id?returnTo=${longPath}`)
    const done = await big.get(callbackURL)
    expect(done.status).toBe(200)
    expect(json(done).info?.returnTo).toBe(longPath)
  })

  it('a login in flight finishes after the secret rotates, while the old secret is still listed', async () => {
    const { base, setStore } = await startApp({ store: cookieLoginState({ secret: OLD_SECRET }) })
    const browser = new CookieBrowser()
    const inFlight = await startLogin(browser, base)
    const dropped = await startLogin(browser, base)
    setStore(cookieLoginState({ secret: [SECRET, OLD_SECRET] }))
    expect((await browser.get(inFlight.callbackURL)).status).toBe(200)
    const fresh = await startLogin(browser, base)
    setStore(cookieLoginState({ secret: SECRET }))
    expect((await browser.get(fresh.callbackURL)).status).toBe(200)
    const old = await browser.get(dropped.callbackURL)
    expect(old.status).toBe(401)
    expect(json(old).code).toBe('STATE_MISSING')
  })

  it('a replayed callback with the login cookie copied before its first use is refused by the single-use code', async () => {
    const { base } = await startApp()
    const browser = new CookieBrowser()
    const { callbackURL } = await startLogin(browser, base)
    const copy = new CookieBrowser()
    for (const [n, v] of browser.jar) copy.jar.set(n, v)
    expect((await browser.get(callbackURL)).status).toBe(200)
    expect(json(await browser.get(callbackURL)).code).toBe('STATE_MISSING')
    const replay = await copy.get(callbackURL)
    expect(replay.status).not.toBe(200)
    expect(json(replay).user).toBeUndefined()
  })

  it('a provider error callback clears the login cookie', async () => {
    const { base } = await startApp()
    const browser = new CookieBrowser()
    const start = await browser.get(`${base}/auth/freedom-id`)
    const state = new URL(start.location!).searchParams.get('state')!
    const done = await browser.get(`${base}/auth/freedom-id/callback?error=access_denied&state=${state}`)
    expect(json(done).code).toBe('ACCESS_DENIED')
    expect(loginCookies(browser)).toEqual([])
  })
})

describe('the login cookie', () => {
  const attributes = async (app: AppOptions, headers: Record<string, string> = {}, callbackURL?: string) => {
    const { base } = await startApp({ ...app, ...(callbackURL && { strategy: { callbackURL } }) })
    const res = await new CookieBrowser().get(`${base}/auth/freedom-id`, headers)
    expect(res.setCookies).toHaveLength(1)
    return res.setCookies[0]!
  }

  it('on http: HttpOnly, SameSite=Lax, not Secure, Path the callback path, Max-Age 600', async () => {
    expect(await attributes({})).toMatchObject({
      httpOnly: true,
      sameSite: 'lax',
      path: '/auth/freedom-id/callback',
      maxAge: 600,
    })
    expect((await attributes({})).secure).toBeFalsy()
  })

  it('behind a trusted proxy that says https: Secure', async () => {
    expect(await attributes({ trustProxy: true }, { 'x-forwarded-proto': 'https' })).toMatchObject({ secure: true, httpOnly: true })
  })

  it('a forwarded https from a proxy the app does not trust is not believed', async () => {
    expect((await attributes({}, { 'x-forwarded-proto': 'https' })).secure).toBeFalsy()
  })

  it('secure: true forces Secure, secure: false never sets it', async () => {
    expect((await attributes({ store: cookieLoginState({ secret: SECRET, secure: true }) })).secure).toBe(true)
    const off = await attributes({ store: cookieLoginState({ secret: SECRET, secure: false }) }, { 'x-forwarded-proto': 'https' })
    expect(off.secure).toBeFalsy()
  })

  it('its Path follows a callbackURL on another path, and its name the name option', async () => {
    const cookie = await attributes(
      { store: cookieLoginState({ secret: SECRET, name: 'signin' }) },
      {},
      'http://127.0.0.1:9/other/cb',
    )
    expect(cookie.path).toBe('/other/cb')
    expect(cookie.name).toMatch(/^signin\.[A-Za-z0-9_-]{16}$/)
  })
})

describe('the cookie store with each verify form', () => {
  const forms: Array<[string, Partial<FreedomIdStrategyOptions>, unknown]> = [
    ['(accessToken, refreshToken, profile, done)', {}, (_a: string, _r: string, p: { id: string }, done: (e: null, u: unknown) => void) => done(null, { id: p.id })],
    [
      '(accessToken, refreshToken, params, profile, done)',
      {},
      (_a: string, _r: string, params: { id?: string }, p: { id: string }, done: (e: null, u: unknown) => void) =>
        done(null, { id: p.id, tokenId: params.id }),
    ],
    [
      '(req, accessToken, refreshToken, profile, done)',
      { passReqToCallback: true },
      (req: { query: Record<string, string> }, _a: string, _r: string, p: { id: string }, done: (e: null, u: unknown) => void) =>
        done(null, { id: p.id, hasState: typeof req.query.state === 'string' }),
    ],
    [
      '(req, accessToken, refreshToken, params, profile, done)',
      { passReqToCallback: true },
      (_req: unknown, _a: string, _r: string, params: { id?: string }, p: { id: string }, done: (e: null, u: unknown) => void) =>
        done(null, { id: p.id, tokenId: params.id }),
    ],
    ['an async function returning the user', {}, async (_a: string, _r: string, p: { id: string }) => ({ id: p.id })],
  ]

  it.each(forms)('%s signs in', async (_name, strategy, verify) => {
    const { base } = await startApp({ strategy, verify })
    const browser = new CookieBrowser()
    const { callbackURL } = await startLogin(browser, base)
    const done = await browser.get(callbackURL)
    expect(done.status).toBe(200)
    const body = json(done) as { user: Record<string, unknown>; info: { tokenId?: string } }
    expect(body.user.id).toBe(DEFAULT_USERS[0]!.sub)
    if ('tokenId' in body.user) expect(body.user.tokenId).toBe(body.info.tokenId)
    if ('hasState' in body.user) expect(body.user.hasState).toBe(true)
  })
})

describe('cookieLoginState options', () => {
  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /secret/],
    ['no secret', {}, /"secret"/],
    ['a short secret', { secret: 'short' }, /"secret" option must be a string of at least 32 characters/],
    ['an empty list', { secret: [] }, /"secret"/],
    ['a short secret in the list', { secret: [SECRET, 'short'] }, /"secret" option entry 1/],
    ['secure a string', { secret: SECRET, secure: 'yes' }, /"secure"/],
    ['name with a space', { secret: SECRET, name: 'a b' }, /"name"/],
    ['maxPending 0', { secret: SECRET, maxPending: 0 }, /"maxPending"/],
    ['maxPending 100', { secret: SECRET, maxPending: 100 }, /"maxPending"/],
  ])('%s is a TypeError naming the option', (_name, options, message) => {
    expect(() => cookieLoginState(options as CookieLoginStateOptions)).toThrow(TypeError)
    expect(() => cookieLoginState(options as CookieLoginStateOptions)).toThrow(message)
  })

  it('without a response to set the cookie on, the login errors with advice', async () => {
    const store = cookieLoginState({ secret: SECRET })
    await expect(
      store.put({ headers: {} } as never, undefined, { state: 's', nonce: 'n', redirect_uri: 'http://a.test/cb', created: Date.now() }),
    ).rejects.toThrow(/req\.res is missing/)
  })
})
