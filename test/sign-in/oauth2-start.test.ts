import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'
import { closedPort, startServer, type TestServer } from '../helpers/http-server.js'
import { errorOf } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'
import { fakeRequest, fakeSession, run } from '../helpers/strategy-harness.js'

let emulator: RunningEmulator
const strategy = strategyMaker(() => emulator.url, { protocol: 'oauth2', scope: ['read.email', 'read.firstname'], timeout: 1000 })
const servers: TestServer[] = []

/**
 * A provider whose authorization-link call answers with `status` and `body` (a function gets the server's URL;
 * a string is sent as-is), after `delay` ms. It records the requests it receives.
 */
async function linkServer(status: number, body: unknown, delay = 0): Promise<TestServer> {
  const server: TestServer = await startServer((_req, res) => {
    const value = typeof body === 'function' ? (body as (url: string) => unknown)(server.url) : body
    const answer = (): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(typeof value === 'string' ? value : JSON.stringify(value))
    }
    if (delay > 0) setTimeout(answer, delay).unref()
    else answer()
  })
  servers.push(server)
  return server
}

function records(session: Record<string, unknown>): Array<{ state: string; redirect_uri: string }> {
  return Object.values((session['freedom-id'] ?? {}) as Record<string, { state: string; redirect_uri: string }>)
}

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
})
afterAll(async () => {
  await strategy.closeAll()
  await Promise.all(servers.map((s) => s.close()))
  await emulator.close()
})
beforeEach(() => emulator.reset())

describe('starting an OAuth2 login', () => {
  it("redirects to the provider's sign-in page after saving the session", async () => {
    const session = fakeSession()
    const outcome = await run(strategy(), fakeRequest({ session }))
    expect(outcome.type).toBe('redirect')
    const url = new URL((outcome as { url: string }).url)
    expect(`${url.origin}${url.pathname}`).toBe(`${emulator.url}/login`)
    expect(url.searchParams.get('track_id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(session.saves).toBe(1)
    expect(emulator.stats.authorize).toBe(1)
  })

  it('posts Basic client credentials and a JSON {redirect_uri, grants} body', async () => {
    const server = await linkServer(200, (url: string) => ({ redirect_uri: `${url}/login?track_id=t` }))
    const link = `${server.url}/login?track_id=t`
    const session = fakeSession()
    const outcome = await run(strategy({ authorizationURL: `${server.url}/api/v1/oauth/authorize` }), fakeRequest({ session }))
    expect(outcome).toEqual({ type: 'redirect', url: link })
    const sent = server.requests[0]!
    expect(sent.method).toBe('POST')
    expect(sent.url).toBe('/api/v1/oauth/authorize')
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from(`${DEMO_CLIENT.clientID}:${DEMO_CLIENT.clientSecret}`).toString('base64')}`)
    expect(sent.headers['content-type']).toBe('application/json')
    const state = records(session)[0]!.state
    expect(JSON.parse(sent.body)).toEqual({
      redirect_uri: `http://127.0.0.1/auth/freedom-id/callback?state=${state}`,
      grants: ['read.email', 'read.firstname'],
    })
  })

  it('keeps the redirect_uri it registered, state included, in the login record', async () => {
    const session = fakeSession()
    await run(strategy(), fakeRequest({ session }))
    const [record] = records(session)
    expect(record!.redirect_uri).toBe(`http://127.0.0.1/auth/freedom-id/callback?state=${record!.state}`)
  })

  it('keeps the query the callback URL already has', async () => {
    const session = fakeSession()
    await run(strategy({ callbackURL: 'http://127.0.0.1/cb?tenant=a' }), fakeRequest({ session }))
    const [record] = records(session)
    expect(new URL(record!.redirect_uri).searchParams.get('tenant')).toBe('a')
    expect(new URL(record!.redirect_uri).searchParams.get('state')).toBe(record!.state)
  })

  it('resolves a path callbackURL against the configured origin, never the Host header', async () => {
    const session = fakeSession()
    const s = strategy({ callbackURL: '/auth/cb', origins: 'https://shop.example' })
    await run(s, fakeRequest({ session, host: 'evil.example', headers: { 'x-forwarded-host': 'evil.example' } }))
    expect(records(session)[0]!.redirect_uri).toMatch(/^https:\/\/shop\.example\/auth\/cb\?state=/)
  })

  it('sends Freedom ID the configured origin when Host: evil.example starts the login', async () => {
    const s = strategy({ callbackURL: '/auth/cb', origins: ['http://127.0.0.1:3000', 'http://localhost:3000'] })
    expect(await run(s, fakeRequest({ host: 'evil.example' }))).toMatchObject({ type: 'fail', challenge: { code: 'HOST_NOT_ALLOWED' }, status: 400 })
    const session = fakeSession()
    await run(s, fakeRequest({ session, host: 'localhost:3000' }))
    expect(records(session)[0]!.redirect_uri).toMatch(/^http:\/\/localhost:3000\/auth\/cb\?state=/)
  })

  it('with stateInRedirectURI false registers the bare callback URL and keeps one pending login', async () => {
    const s = strategy({ stateInRedirectURI: false })
    const session = fakeSession()
    await run(s, fakeRequest({ session }))
    await run(s, fakeRequest({ session }))
    const pending = records(session)
    expect(pending).toHaveLength(1)
    expect(pending[0]!.redirect_uri).toBe('http://127.0.0.1/auth/freedom-id/callback')
  })

  it('asks for the grants of a per-login scope', async () => {
    const server = await linkServer(200, (url: string) => ({ redirect_uri: `${url}/login` }))
    const s = strategy({ authorizationURL: `${server.url}/authorize` })
    await run(s, fakeRequest(), { scope: 'read.phone read.profile' })
    expect(JSON.parse(server.requests[0]!.body).grants).toEqual(['read.phone', 'read.profile'])
  })

  it('adds authorizationParams() to the body without replacing redirect_uri or grants', async () => {
    const server = await linkServer(200, (url: string) => ({ redirect_uri: `${url}/login` }))
    const s = strategy({ authorizationURL: `${server.url}/authorize` })
    s.authorizationParams = () => ({ locale: 'kk', grants: ['openid'], redirect_uri: 'https://evil.example/' })
    await run(s, fakeRequest())
    const body = JSON.parse(server.requests[0]!.body)
    expect(body.locale).toBe('kk')
    expect(body.grants).toEqual(['read.email', 'read.firstname'])
    expect(body.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1\/auth\/freedom-id\/callback\?state=/)
  })

  it("accepts a sign-in page on the issuer's origin when authorizationURL is elsewhere", async () => {
    const server = await linkServer(200, { redirect_uri: 'https://passport.example/login?track_id=t' })
    const outcome = await run(
      strategy({ issuer: 'https://passport.example', authorizationURL: `${server.url}/authorize` }),
      fakeRequest(),
    )
    expect(outcome).toEqual({ type: 'redirect', url: 'https://passport.example/login?track_id=t' })
  })
})

describe('authorization-link faults', () => {
  const cases: Array<[string, () => Promise<Partial<FreedomIdStrategyOptions>>, string]> = [
    ['a link to another origin', async () => ({ authorizationURL: `${(await linkServer(200, { redirect_uri: 'https://evil.example/login' })).url}/a` }), 'AUTHORIZATION_LINK_INVALID'],
    ['a link that is not a URL', async () => ({ authorizationURL: `${(await linkServer(200, { redirect_uri: '/login?track_id=t' })).url}/a` }), 'AUTHORIZATION_LINK_INVALID'],
    ['a javascript: link', async () => ({ authorizationURL: `${(await linkServer(200, { redirect_uri: 'javascript:alert(1)' })).url}/a` }), 'AUTHORIZATION_LINK_INVALID'],
    ['a link with credentials', async () => ({ authorizationURL: `${(await linkServer(200, (url: string) => ({ redirect_uri: url.replace('//', '//x:y@') }))).url}/a` }), 'AUTHORIZATION_LINK_INVALID'],
    ['an answer without redirect_uri', async () => ({ authorizationURL: `${(await linkServer(200, { url: 'x' })).url}/a` }), 'AUTHORIZATION_LINK_INVALID'],
    ['an answer that is a JSON array', async () => ({ authorizationURL: `${(await linkServer(200, [1])).url}/a` }), 'AUTHORIZATION_LINK_INVALID'],
    ['an answer that is not JSON', async () => ({ authorizationURL: `${(await linkServer(200, '<html>')).url}/a` }), 'RESPONSE_NOT_JSON'],
    ['a business error under HTTP 200', async () => ({ authorizationURL: `${(await linkServer(200, { error: { message: 'Client is blocked.', code: 100120 } })).url}/a` }), 'PROVIDER_ERROR'],
    ['a 503', async () => ({ authorizationURL: `${(await linkServer(503, 'busy')).url}/a` }), 'PROVIDER_HTTP_ERROR'],
    ['a 500 with an error body', async () => ({ authorizationURL: `${(await linkServer(500, { error: { message: 'Oops' } })).url}/a` }), 'PROVIDER_HTTP_ERROR'],
    ['no answer within the timeout', async () => ({ timeout: 100, authorizationURL: `${(await linkServer(200, {}, 2000)).url}/a` }), 'PROVIDER_TIMEOUT'],
    ['a provider that cannot be reached', async () => ({ authorizationURL: `http://127.0.0.1:${await closedPort()}/a` }), 'PROVIDER_UNREACHABLE'],
    ['wrong client credentials', async () => ({ clientSecret: 'wrong' }), 'PROVIDER_ERROR'],
  ]

  it.each(cases)('%s is an error with a 5xx status, and the pending login is dropped', async (_name, options, code) => {
    const session = fakeSession()
    const outcome = await run(strategy(await options()), fakeRequest({ session }))
    const error = errorOf(outcome)
    expect(error.code).toBe(code)
    expect(error.status).toBeGreaterThanOrEqual(500)
    expect(records(session)).toHaveLength(0)
    expect(session.saves).toBe(0)
  })

  it("turns Freedom ID's validation error into PROVIDER_ERROR with the field messages", async () => {
    const s = strategy({ extraGrants: ['read.future'], scope: ['read.future'] })
    const error = errorOf(await run(s, fakeRequest())) as Error & { code: string; status: number; providerErrors?: Record<string, string[]> }
    expect(error.code).toBe('PROVIDER_ERROR')
    expect(error.status).toBe(502)
    expect(error.providerErrors).toEqual({ 'grants.0': ['The selected grants.0 is invalid.'] })
    expect(error.message).toContain('Error validating transmitted data.')
  })

  it.each([
    [true, /set "stateInRedirectURI: false"/],
    [false, /Check that the callbackURL is the one registered with Freedom ID/],
  ])('a refused redirect_uri (under HTTP 200) with stateInRedirectURI %s says what to change', async (stateInRedirectURI, hint) => {
    emulator.nextAuthorizationLinkResponse({
      status: 200,
      body: { error: { message: 'Error validating transmitted data.', errors: { redirect_uri: ['The selected redirect uri is invalid.'] } } },
    })
    const error = errorOf(await run(strategy({ stateInRedirectURI }), fakeRequest()))
    expect([error.code, error.status]).toEqual(['PROVIDER_ERROR', 502])
    expect(error.message).toMatch(hint)
  })

  it('never puts the client secret into the error', async () => {
    const error = errorOf(await run(strategy({ clientSecret: 'wrong-secret-value' }), fakeRequest()))
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('wrong-secret-value')
    expect(error.message).not.toContain(Buffer.from(`${DEMO_CLIENT.clientID}:wrong-secret-value`).toString('base64'))
  })
})

describe('OAuth2 options', () => {
  it.each([
    ['skipUserProfile', { skipUserProfile: true }],
    ['pkce', { pkce: true }],
    ['maxAge', { maxAge: 60 }],
  ])('rejects %s, which the OAuth2 flavour cannot honour, with a TypeError naming it', (name, options) => {
    expect(() => strategy(options as Partial<FreedomIdStrategyOptions>)).toThrow(new RegExp(`"${name}" option cannot be used with protocol 'oauth2'`))
  })

  it('rejects an unknown grant at construction, naming it', () => {
    expect(() => strategy({ scope: ['read.email', 'read.everything'] })).toThrow(/"read\.everything"/)
  })
})
