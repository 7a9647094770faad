import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import express, { type Request } from 'express'
import session from 'express-session'
import passport from 'passport'
import request from 'supertest'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { createFreedomIdClient, type FreedomIdClient, type FreedomIdClientOptions } from '../../src/api/api-client.js'
import type { FreedomIdProfile } from '../../src/sign-in/profile.js'
import { createTokenRefresher, type TokenRefresherOptions } from '../../src/api/refresh-middleware.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { keepTokensOnLogIn, readSessionTokens, type StoredTokens } from '../../src/api/session-tokens.js'
import type { FreedomIdParams } from '../../src/sign-in/verify-callback.js'
import { closedPort } from '../helpers/http-server.js'
import { authorize } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

const user = DEFAULT_USERS[0]!

let emulator: RunningEmulator
let apiClient: FreedomIdClient
const CLIENT: FreedomIdClientOptions = { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, timeout: 1000 }
const make = strategyMaker(() => emulator.url, { callbackURL: 'http://127.0.0.1/auth/callback', scope: ['read.email'], passReqToCallback: true })

interface AppOptions {
  protocol?: 'oidc' | 'oauth2'
  refresher?: Partial<TokenRefresherOptions>
  refuseLogin?: boolean
  sessionIndex?: MemorySessionIndex
}

/** An Express app as the README describes it: express-session, passport, the strategy, then the refresher. */
function createApp(options: AppOptions = {}) {
  const app = express()
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }))
  const pp = new passport.Passport()
  const strategy = make(
    { protocol: options.protocol ?? 'oauth2', ...(options.sessionIndex && { sessionIndex: options.sessionIndex }) },
    (req: Request, _at: string, _rt: string, params: FreedomIdParams, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => {
      keepTokensOnLogIn(req, params)
      done(null, options.refuseLogin ? false : { id: profile.id })
    },
  )
  pp.use(strategy)
  pp.serializeUser((u, done) => done(null, u))
  pp.deserializeUser((u: Express.User, done) => done(null, u))
  app.use(pp.initialize())
  app.use(pp.session())
  app.use(
    createTokenRefresher({
      client: apiClient,
      ...(options.sessionIndex && { sessionIndex: options.sessionIndex }),
      ...options.refresher,
    }),
  )
  app.get('/auth', pp.authenticate('freedom-id'))
  app.get('/auth/callback', pp.authenticate('freedom-id', { failureRedirect: '/login' }), (_req, res) => res.redirect('/me'))
  app.post('/test/expire-in/:ms', (req, res) => {
    const tokens = readSessionTokens(req)!
    tokens.access_expire_at = new Date(Date.now() + Number(req.params.ms)).toISOString()
    res.status(204).end()
  })
  app.get('/me', (req, res) => {
    const body = {
      user: req.user ?? null,
      tokens: readSessionTokens(req) ?? null,
      tokenId: (req.session as unknown as Record<string, unknown> | undefined)?.freedomIdTokenId ?? null,
      originalTokenId: (req.session as unknown as Record<string, unknown> | undefined)?.freedomIdOriginalTokenId ?? null,
      sid: req.sessionID,
    }
    res.status(req.user ? 200 : 401).json(body)
  })
  return app
}

async function signIn(agent: ReturnType<typeof request.agent>): Promise<void> {
  const start = await agent.get('/auth').expect(302)
  const callback = await authorize(start.headers.location!)
  await agent.get(`/auth/callback?${callback}`).expect(302)
}

async function me(agent: ReturnType<typeof request.agent>, status = 200): Promise<{ user: unknown; tokens: StoredTokens | null; tokenId: string | null; originalTokenId: string | null; sid: string }> {
  return (await agent.get('/me').expect(status)).body
}

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
  CLIENT.issuer = emulator.url
  apiClient = createFreedomIdClient(CLIENT)
})
afterAll(async () => {
  await make.closeAll()
  await apiClient.close()
  await emulator.close()
})
beforeEach(() => {
  emulator.reset()
})

/** Makes the session's access token expire `ms` from now (in the past when negative), as if it were days old. */
async function expireIn(agent: ReturnType<typeof request.agent>, ms: number): Promise<void> {
  await agent.post(`/test/expire-in/${ms}`).expect(204)
}

describe('keeping the tokens in the session', () => {
  it.each([['oauth2' as const], ['oidc' as const]])('%s: keepTokensOnLogIn stores the tokens in the session the user ends up with', async (protocol) => {
    const agent = request.agent(createApp({ protocol }))
    await signIn(agent)
    const { tokens } = await me(agent)
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9]{128}$/),
      refresh_token: expect.stringMatching(/^[A-Za-z0-9]{128}$/),
      access_expire_at: expect.any(String),
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      protocol,
      ...(protocol === 'oauth2' && { refresh_expire_at: expect.any(String) }),
    })
    expect(Date.parse(tokens!.access_expire_at!)).toBeGreaterThan(Date.now())
  })

  it('never stores the tokens of a refused login', async () => {
    const agent = request.agent(createApp({ refuseLogin: true }))
    const start = await agent.get('/auth').expect(302)
    const callback = await authorize(start.headers.location!)
    await agent.get(`/auth/callback?${callback}`).expect(302).expect('location', '/login')
    expect((await me(agent, 401)).tokens).toBeNull()
  })
})

describe('keepTokensOnLogIn without an express app', () => {
  const tokens = { access_token: 'a', refresh_token: 'r', expires_in: 60, id: 'i' }

  it('writes the tokens at once when there is no req.logIn', () => {
    const req = { session: {} } as unknown as Request
    keepTokensOnLogIn(req, tokens)
    expect(readSessionTokens(req)).toMatchObject({ access_token: 'a', refresh_token: 'r', id: 'i', access_expire_at: expect.any(String) })
  })

  it.each([
    ['logIn(user, callback)', (logIn: Function, done: () => void) => logIn({ id: 1 }, done), true],
    ['logIn(user, { session: false }, callback)', (logIn: Function, done: () => void) => logIn({ id: 1 }, { session: false }, done), false],
  ])('after %s, stores the tokens only when the login keeps a session', async (_name, call, stores) => {
    const req: { session: Record<string, unknown>; logIn: Function } = {
      session: {},
      logIn: (_user: unknown, _options: unknown, done: (err?: unknown) => void) => {
        req.session = {}
        done()
      },
    }
    keepTokensOnLogIn(req as unknown as Request, tokens)
    await new Promise<void>((resolve) => call(req.logIn, resolve))
    expect(readSessionTokens(req as unknown as Request) !== undefined).toBe(stores)
  })
})

describe('the token refresher', () => {
  it('leaves a fresh access token alone', async () => {
    const agent = request.agent(createApp())
    await signIn(agent)
    const before = emulator.stats.token
    const first = await me(agent)
    expect((await me(agent)).tokens).toEqual(first.tokens)
    expect(emulator.stats.token).toBe(before)
  })

  it('passes requests without tokens through untouched', async () => {
    const agent = request.agent(createApp())
    expect((await me(agent, 401)).tokens).toBeNull()
    expect(emulator.stats.token).toBe(0)
  })

  it.each([['oauth2' as const], ['oidc' as const]])('%s: refreshes an access token within the margin and rotates the stored pair', async (protocol) => {
    const agent = request.agent(createApp({ protocol, refresher: { refreshOidcTokens: protocol === 'oidc' } }))
    await signIn(agent)
    const old = (await me(agent)).tokens!
    await expireIn(agent, 30_000)
    const now = await me(agent)
    expect(now.user).toEqual({ id: user.sub })
    expect(now.tokens!.access_token).not.toBe(old.access_token)
    expect(now.tokens!.refresh_token).not.toBe(old.refresh_token)
    expect(now.tokens!.id).not.toBe(old.id)
    expect((await apiClient.userInfo(now.tokens!.access_token)).id).toBe(user.sub)
    await expect(apiClient.refreshTokens(old.refresh_token!)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' })
    expect((await me(agent)).tokens).toEqual(now.tokens)
    expect(now.tokens!.protocol).toBe(protocol)
  })

  it('oidc: without refreshOidcTokens, never refreshes, and at expiry signs out with a message naming the option', async () => {
    const seen: string[] = []
    const agent = request.agent(
      createApp({ protocol: 'oidc', refresher: { onInvalid: (_req, res, _next, error) => void (seen.push(error.message), res.status(401).json({ code: error.code })) } }),
    )
    await signIn(agent)
    const before = emulator.stats.token
    await expireIn(agent, 30_000)
    expect((await me(agent)).user).toEqual({ id: user.sub })
    expect(emulator.stats.token).toBe(before)
    await expireIn(agent, -1000)
    expect((await agent.get('/me').expect(401)).body).toEqual({ code: 'REFRESH_TOKEN_INVALID' })
    expect(seen).toEqual([expect.stringContaining('"refreshOidcTokens: true"')])
    expect(emulator.stats.token).toBe(before)
    expect((await me(agent, 401)).user).toBeNull()
  })

  it('binds the new token id to the session for provider sign-out', async () => {
    const index = new MemorySessionIndex()
    const agent = request.agent(createApp({ sessionIndex: index }))
    await signIn(agent)
    const before = await me(agent)
    expect(before.tokenId).toBe(before.tokens!.id)
    await expireIn(agent, -1000)
    const after = await me(agent)
    expect(after.tokenId).toBe(after.tokens!.id)
    expect(after.tokenId).not.toBe(before.tokenId)
    expect(after.originalTokenId).toBe(before.tokenId)
    expect(await index.tokenIdOf(after.sid)).toBe(after.tokenId)
    expect(await index.revoke(after.tokenId!)).toEqual([after.sid])
  })

  it('shares one refresh call among concurrent requests of a session', async () => {
    const agent = request.agent(createApp())
    await signIn(agent)
    const before = emulator.stats.token
    await expireIn(agent, 30_000)
    const answers = await Promise.all(Array.from({ length: 5 }, () => me(agent)))
    expect(emulator.stats.token).toBe(before + 1)
    expect(new Set(answers.map((a) => a.tokens!.access_token)).size).toBe(1)
  })

  it('hands the new pair to a request that still carries the rotated refresh token', async () => {
    let stored: StoredTokens | undefined
    const app = express()
    let old: StoredTokens | undefined
    const afterExpiry = () => Date.parse(old!.access_expire_at!) + 1000
    app.use(createTokenRefresher({ client: apiClient, getTokens: () => stored, setTokens: (_req, t) => void (stored = t), now: afterExpiry }))
    app.get('/', (_req, res) => res.json(stored ?? null))
    const agent = request.agent(createApp())
    await signIn(agent)
    old = (await me(agent)).tokens!
    stored = old
    const first = (await request(app).get('/').expect(200)).body as StoredTokens
    const calls = emulator.stats.token
    stored = old
    const second = (await request(app).get('/').expect(200)).body as StoredTokens
    expect(second).toEqual(first)
    expect(emulator.stats.token).toBe(calls)
  })

  it('sends the rotated refresh token, and is refused, once the reuse window has passed', async () => {
    let stored: StoredTokens | undefined
    let old: StoredTokens | undefined
    let clock = 0
    const app = express()
    app.use(createTokenRefresher({ client: apiClient, reuseWindow: 5, getTokens: () => stored, setTokens: (_req, t) => void (stored = t), now: () => clock }))
    app.get('/', (_req, res) => res.json(stored ?? null))
    const agent = request.agent(createApp())
    await signIn(agent)
    old = (await me(agent)).tokens!
    clock = Date.parse(old.access_expire_at!) + 1000
    stored = old
    expect((await request(app).get('/').expect(200)).body.access_token).not.toBe(old.access_token)
    clock += 6000
    stored = old
    expect((await request(app).get('/').expect(200)).body).toBeNull()
  })

  it('refreshes earlier with a larger margin', async () => {
    const agent = request.agent(createApp({ refresher: { margin: 3600 } }))
    await signIn(agent)
    const old = (await me(agent)).tokens!
    await expireIn(agent, 1800_000)
    expect((await me(agent)).tokens!.access_token).not.toBe(old.access_token)
  })

  it('logs the user out and continues unauthenticated when the refresh token is refused', async () => {
    const agent = request.agent(createApp())
    await signIn(agent)
    await expireIn(agent, 30_000)
    await emulator.logout({ sub: user.sub })
    const answer = await me(agent, 401)
    expect(answer).toMatchObject({ user: null, tokens: null, tokenId: null })
    await me(agent, 401)
  })

  it('calls onInvalid after logging the user out', async () => {
    const agent = request.agent(
      createApp({ refresher: { onInvalid: (_req, res, _next, error) => void res.redirect(`/auth?reason=${error.code}`) } }),
    )
    await signIn(agent)
    await expireIn(agent, 30_000)
    await emulator.logout({ sub: user.sub })
    await agent.get('/me').expect(302).expect('location', '/auth?reason=REFRESH_TOKEN_INVALID')
    await me(agent, 401)
  })

  it('keeps a still-valid access token when the provider fails, and answers 502 once it has expired', async () => {
    const unreachable = createFreedomIdClient({ ...CLIENT, tokenURL: `http://127.0.0.1:${await closedPort()}/token` })
    const agent = request.agent(createApp({ refresher: { client: unreachable } }))
    await signIn(agent)
    const old = (await me(agent)).tokens!
    await expireIn(agent, 30_000)
    const kept = (await me(agent)).tokens!
    expect([kept.access_token, kept.refresh_token]).toEqual([old.access_token, old.refresh_token])
    await expireIn(agent, -1000)
    const res = await agent.get('/me').expect(502)
    expect(res.text).not.toContain(old.refresh_token!)
    await expect(apiClient.refreshTokens(old.refresh_token!)).resolves.toMatchObject({ access_token: expect.any(String) })
    await unreachable.close()
  })

  it('keeps a session without a refresh token until its access token expires, then signs it out', async () => {
    const expiring: StoredTokens = { access_token: 'a', access_expire_at: new Date(Date.now() + 30_000).toISOString() }
    let stored: StoredTokens | undefined = expiring
    const app = express()
    app.use(createTokenRefresher({ client: apiClient, getTokens: () => stored, setTokens: (_req, t) => void (stored = t) }))
    app.get('/', (_req, res) => res.json({ stored: stored ?? null }))
    expect((await request(app).get('/').expect(200)).body).toEqual({ stored: expiring })
    stored = { ...expiring, access_expire_at: new Date(Date.now() - 1000).toISOString() }
    expect((await request(app).get('/').expect(200)).body).toEqual({ stored: null })
    expect(emulator.stats.token).toBe(0)
  })

  it('never refreshes tokens without a known expiry', async () => {
    const stored: StoredTokens = { access_token: 'a', refresh_token: 'r' }
    const app = express()
    app.use(createTokenRefresher({ client: apiClient, getTokens: () => stored }))
    app.get('/', (_req, res) => res.json({ ok: true }))
    await request(app).get('/').expect(200)
    expect(emulator.stats.token).toBe(0)
  })

  it.each([
    ['client', { client: undefined }],
    ['margin', { margin: -1 }],
    ['reuseWindow', { reuseWindow: Number.NaN }],
    ['getTokens', { getTokens: 'session' }],
    ['sessionIndex', { sessionIndex: {} }],
    ['refreshOidcTokens', { refreshOidcTokens: 'yes' }],
  ])('throws a TypeError naming %s', (name, overrides) => {
    expect(() => createTokenRefresher({ client: apiClient, ...(overrides as object) } as TokenRefresherOptions)).toThrow(new RegExp(name))
  })
})
