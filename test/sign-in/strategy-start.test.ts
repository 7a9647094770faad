import { describe, expect, it } from '@jest/globals'
import { FreedomIdStrategy } from '../../src/sign-in/strategy.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'
import type { LoginRecord } from '../../src/sign-in/login-state/record.js'
import type { LoginStateStore } from '../../src/sign-in/login-state/types.js'
import { fakeRequest, fakeSession, redirectParams, run } from '../helpers/strategy-harness.js'

const options: FreedomIdStrategyOptions = {
  clientID: 'c388f3cd-7722-4040-9bb2-94b0a05093aa',
  clientSecret: 'secret',
  callbackURL: 'https://app.example/auth/freedom-id/callback',
}
const verify = () => undefined

function strategy(overrides: Partial<FreedomIdStrategyOptions> = {}) {
  return new FreedomIdStrategy({ ...options, ...overrides }, verify)
}

describe('starting a login', () => {
  it('redirects to /openid with every documented parameter', async () => {
    const req = fakeRequest()
    const outcome = await run(strategy({ scope: ['read.email', 'read.phone'] }), req)
    expect(outcome.type).toBe('redirect')
    const url = new URL((outcome as { url: string }).url)
    expect(`${url.origin}${url.pathname}`).toBe('https://passport.freedompay.kz/openid')
    const params = url.searchParams
    expect(params.get('response_type')).toBe('code')
    expect(params.get('client_id')).toBe(options.clientID)
    expect(params.get('redirect_uri')).toBe(options.callbackURL)
    expect(params.get('scope')).toBe('openid read.email read.phone')
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43,}$/)
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43,}$/)
    expect(params.get('state')).not.toBe(params.get('nonce'))
    expect(params.has('code_challenge')).toBe(false)
    expect(params.has('max_age')).toBe(false)
  })

  it('stores a login record under sessionKey and saves the session before redirecting', async () => {
    const session = fakeSession()
    const s = strategy({ sessionKey: 'my-key' })
    const outcome = await run(s, fakeRequest({ session }))
    const params = redirectParams(outcome)
    expect(session.saves).toBe(1)
    const records = session['my-key'] as Record<string, { nonce: string; redirect_uri: string; created: number }>
    const record = records[params.get('state')!]
    expect(record).toMatchObject({ nonce: params.get('nonce'), redirect_uri: options.callbackURL })
    expect(typeof record?.created).toBe('number')
  })

  it('reports a failed session save as an error instead of redirecting', async () => {
    const session = fakeSession()
    session.save = (cb) => cb(new Error('store down'))
    const outcome = await run(strategy(), fakeRequest({ session }))
    expect(outcome).toMatchObject({ type: 'error', error: { message: 'store down' } })
  })

  it('works with a session that has no save() (cookie-session)', async () => {
    const session: Record<string, unknown> = {}
    const outcome = await run(strategy(), fakeRequest({ session }))
    expect(outcome.type).toBe('redirect')
    expect(Object.keys(session['freedom-id'] as object)).toHaveLength(1)
  })

  it('keeps the pending login in the loginState store given, with no session at all', async () => {
    const kept = new Map<string, LoginRecord>()
    const store: LoginStateStore = {
      put: async (_req, _res, record) => void kept.set(record.state, record),
      take: async (_req, _res, state) => (state === null ? undefined : kept.get(state)),
    }
    const params = redirectParams(await run(strategy({ loginState: store }), fakeRequest({ session: null })))
    expect([...kept.keys()]).toEqual([params.get('state')])
    expect(kept.get(params.get('state')!)?.nonce).toBe(params.get('nonce'))
  })

  it('errors when the loginState store rejects, and does not redirect', async () => {
    const store: LoginStateStore = { put: async () => Promise.reject(new Error('store down')), take: async () => undefined }
    const outcome = await run(strategy({ loginState: store }), fakeRequest())
    expect(outcome).toMatchObject({ type: 'error', error: { message: 'store down' } })
  })

  it('errors with advice when there is no session middleware', async () => {
    const outcome = await run(strategy(), fakeRequest({ session: null }))
    expect(outcome.type).toBe('error')
    expect((outcome as { error: Error }).error.message).toMatch(/express-session/)
    expect((outcome as { error: Error }).error.message).toMatch(/cookieLoginState\(\{ secret \}\)/)
  })

  it('uses fresh state and nonce for every login and keeps each tab pending', async () => {
    const session = fakeSession()
    const s = strategy()
    const states = new Set<string>()
    const nonces = new Set<string>()
    for (let i = 0; i < 3; i++) {
      const params = redirectParams(await run(s, fakeRequest({ session })))
      states.add(params.get('state')!)
      nonces.add(params.get('nonce')!)
    }
    expect(states.size).toBe(3)
    expect(nonces.size).toBe(3)
    expect(Object.keys(session['freedom-id'] as object).sort()).toEqual([...states].sort())
  })

  it('sends an S256 PKCE challenge when pkce is on', async () => {
    const session = fakeSession()
    const params = redirectParams(await run(strategy({ pkce: true }), fakeRequest({ session })))
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const record = (session['freedom-id'] as Record<string, { code_verifier?: string }>)[params.get('state')!]
    expect(record?.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('sends max_age when maxAge is set', async () => {
    const params = redirectParams(await run(strategy({ maxAge: 300 }), fakeRequest()))
    expect(params.get('max_age')).toBe('300')
  })

  it('resolves a path callbackURL against the one configured origin, whatever the Host header says', async () => {
    const req = fakeRequest({ host: 'evil.example', headers: { 'x-forwarded-host': 'evil.example' } })
    const params = redirectParams(await run(strategy({ callbackURL: '/auth/cb', origins: 'https://shop.example:8443' }), req))
    expect(params.get('redirect_uri')).toBe('https://shop.example:8443/auth/cb')
  })

  it('never lets Host: evil.example steer redirect_uri, with several origins either', async () => {
    const s = strategy({ callbackURL: '/auth/cb', origins: ['https://shop.example', 'https://admin.shop.example'] })
    const outcome = await run(s, fakeRequest({ host: 'evil.example' }))
    expect(outcome).toMatchObject({ type: 'fail', challenge: { code: 'HOST_NOT_ALLOWED' }, status: 400 })
    expect((outcome as { challenge: { message: string } }).challenge.message).toMatch(/"origins" option/)
  })

  it('lets the Host header pick among several configured origins only by an exact match', async () => {
    const s = strategy({ callbackURL: '/auth/cb', origins: ['https://shop.example', 'http://localhost:3000'] })
    const local = redirectParams(await run(s, fakeRequest({ host: 'localhost:3000' })))
    expect(local.get('redirect_uri')).toBe('http://localhost:3000/auth/cb')
    const proxied = redirectParams(await run(s, fakeRequest({ host: 'backend:8080', headers: { 'x-forwarded-host': 'shop.example' } })))
    expect(proxied.get('redirect_uri')).toBe('https://shop.example/auth/cb')
    expect(await run(s, fakeRequest({ host: 'localhost:3001' }))).toMatchObject({ type: 'fail', challenge: { code: 'HOST_NOT_ALLOWED' } })
  })

  it('reads the first host of a proxy chain in X-Forwarded-Host, spaces and case aside', async () => {
    const s = strategy({ callbackURL: '/auth/cb', origins: ['https://shop.example', 'https://admin.shop.example'] })
    const req = fakeRequest({ host: 'backend:8080', headers: { 'x-forwarded-host': 'Admin.Shop.Example , proxy.internal' } })
    expect(redirectParams(await run(s, req)).get('redirect_uri')).toBe('https://admin.shop.example/auth/cb')
  })

  it('names the request\'s host in HOST_NOT_ALLOWED, or says there was none', async () => {
    const s = strategy({ callbackURL: '/auth/cb', origins: ['https://shop.example', 'https://admin.shop.example'] })
    const named = await run(s, fakeRequest({ host: 'evil.example' }))
    expect((named as { challenge: { message: string } }).challenge.message).toContain('host "evil.example" is none of')
    const hostless = fakeRequest()
    delete (hostless.headers as Record<string, unknown>).host
    const none = await run(s, hostless)
    expect(none).toMatchObject({ type: 'fail', challenge: { code: 'HOST_NOT_ALLOWED' } })
    expect((none as { challenge: { message: string } }).challenge.message).toContain('host "(none)" is none of')
  })

  it('uses an absolute callbackURL as it is, whatever the Host header says', async () => {
    const params = redirectParams(await run(strategy(), fakeRequest({ host: 'evil.example' })))
    expect(params.get('redirect_uri')).toBe(options.callbackURL)
  })

  it('errors on a path callbackURL override when no origins are configured', async () => {
    const outcome = await run(strategy(), fakeRequest(), { callbackURL: '/auth/other' })
    expect(outcome.type).toBe('error')
    expect((outcome as { error: Error }).error).toBeInstanceOf(TypeError)
    expect((outcome as { error: Error }).error.message).toMatch(/"callbackURL".*"origins"/)
  })

  it('resolves a path callbackURL override against the configured origin', async () => {
    const s = strategy({ origins: 'https://app.example' })
    const params = redirectParams(await run(s, fakeRequest({ host: 'evil.example' }), { callbackURL: '/auth/other' }))
    expect(params.get('redirect_uri')).toBe('https://app.example/auth/other')
  })

  it('takes callbackURL and scope overrides from the authenticate options', async () => {
    const params = redirectParams(
      await run(strategy(), fakeRequest(), { callbackURL: 'https://other.example/cb', scope: 'read.firstname' }),
    )
    expect(params.get('redirect_uri')).toBe('https://other.example/cb')
    expect(params.get('scope')).toBe('openid read.firstname')
  })

  it('errors on an unknown grant in the authenticate options', async () => {
    const outcome = await run(strategy(), fakeRequest(), { scope: ['read.all'] })
    expect(outcome.type).toBe('error')
    expect((outcome as { error: Error }).error).toBeInstanceOf(TypeError)
  })

  it('adds authorizationParams() but never lets them replace the protocol parameters', async () => {
    class Custom extends FreedomIdStrategy {
      override authorizationParams() {
        return { prompt: 'login', state: 'fixed', nonce: 'fixed', client_id: 'evil', ui_locales: undefined }
      }
    }
    const params = redirectParams(await run(new Custom(options, verify), fakeRequest()))
    expect(params.get('prompt')).toBe('login')
    expect(params.get('state')).not.toBe('fixed')
    expect(params.get('nonce')).not.toBe('fixed')
    expect(params.get('client_id')).toBe(options.clientID)
    expect(params.has('ui_locales')).toBe(false)
  })

  it.each([
    ['/account?tab=1', '/account?tab=1'],
    ['//evil.example', undefined],
    ['https://evil.example', undefined],
  ])('keeps returnTo %s from the query only when it is a same-origin path', async (returnTo, kept) => {
    const session = fakeSession()
    const req = fakeRequest({ session, url: `/auth?returnTo=${encodeURIComponent(returnTo)}` })
    const params = redirectParams(await run(strategy(), req))
    const record = (session['freedom-id'] as Record<string, { returnTo?: string }>)[params.get('state')!]
    expect(record?.returnTo).toBe(kept)
  })

  it('prefers returnTo from the authenticate options', async () => {
    const session = fakeSession()
    const req = fakeRequest({ session, url: '/auth?returnTo=/from-query' })
    const params = redirectParams(await run(strategy(), req, { returnTo: '/from-options' }))
    const record = (session['freedom-id'] as Record<string, { returnTo?: string }>)[params.get('state')!]
    expect(record?.returnTo).toBe('/from-options')
  })
})
