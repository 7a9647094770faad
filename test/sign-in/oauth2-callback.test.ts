import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { request } from 'undici'
import { startEmulator, CANCEL_ERROR_CODE, DEFAULT_USERS, type RunningEmulator } from '../../src/emulator/index.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'
import type { FreedomIdProfile } from '../../src/sign-in/profile.js'
import type { FreedomIdStrategy } from '../../src/sign-in/strategy.js'
import type { FreedomIdParams } from '../../src/sign-in/verify-callback.js'
import { authorize, errorOf, failure, login } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'
import { fakeRequest, fakeSession, run, type Outcome } from '../helpers/strategy-harness.js'

const user = DEFAULT_USERS[0]!
let emulator: RunningEmulator

interface Seen {
  accessToken: string
  refreshToken: string
  params: FreedomIdParams
  profile: FreedomIdProfile
}

const make = strategyMaker(() => emulator.url, {
  protocol: 'oauth2',
  scope: ['read.email', 'read.firstname', 'read.lastname', 'read.phone'],
  timeout: 1000,
})
const strategy = (overrides: Partial<FreedomIdStrategyOptions> = {}, seen: Seen[] = []) =>
  make(
    overrides,
    (accessToken: string, refreshToken: string, params: FreedomIdParams, profile: FreedomIdProfile, done: (e: null, u: unknown) => void) => {
      seen.push({ accessToken, refreshToken, params, profile })
      done(null, { id: profile.id })
    },
  )

function startURL(outcome: Outcome): string {
  if (outcome.type !== 'redirect') throw new Error(`expected a redirect, got ${outcome.type}`)
  return outcome.url
}

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(async () => {
  await make.closeAll()
  await emulator.close()
})
beforeEach(() => {
  emulator.reset()
  emulator.setAutoLogin(user.sub)
})

describe('the OAuth2 callback', () => {
  it('carries authorization_code and our state back from the emulator', async () => {
    const { callback, session } = await login(strategy(), { editCallback: () => undefined })
    expect(callback.get('authorization_code')).toMatch(/^[A-Za-z0-9]+$/)
    expect(callback.get('state')).toEqual(expect.any(String))
    expect(session['freedom-id']).toBeUndefined()
  })

  it('signs the user in with the user info profile, the token response as params and the token id in info', async () => {
    const seen: Seen[] = []
    const { outcome } = await login(strategy({}, seen), { authOptions: { returnTo: '/orders' } })
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub }, info: { returnTo: '/orders' } })
    const [{ accessToken, refreshToken, params, profile }] = seen as [Seen]
    expect(accessToken).toMatch(/^[A-Za-z0-9]{128}$/)
    expect(refreshToken).toMatch(/^[A-Za-z0-9]{128}$/)
    expect(params).toMatchObject({ access_token: accessToken, refresh_token: refreshToken })
    expect(params.access_expire_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/)
    expect(params.refresh_expire_at).toMatch(/Z$/)
    expect(params.claims).toBeUndefined()
    expect((outcome as unknown as { info: { tokenId: string } }).info.tokenId).toBe(params.id)
    expect(profile).toMatchObject({
      provider: 'freedom-id',
      id: user.sub,
      displayName: `${user.firstname} ${user.lastname}`,
      name: { givenName: user.firstname, familyName: user.lastname },
      emails: [{ value: user.email, primary: true }],
      phoneNumbers: [{ value: user.phone, primary: true }],
    })
    expect(JSON.parse(profile._raw)).toEqual(profile._json)
    expect(profile._json.id).toBe(user.sub)
  })

  it('sends revoke_uri in the token request when revokeURL is set', async () => {
    const { outcome } = await login(strategy({ revokeURL: 'https://app.example/auth/freedom-id/revoke' }))
    const tokenId = (outcome as unknown as { info: { tokenId: string } }).info.tokenId
    expect(emulator.tokens().find((t) => t.id === tokenId)).toMatchObject({
      protocol: 'oauth2',
      revokeURI: 'https://app.example/auth/freedom-id/revoke',
    })
  })

  it.each([['json' as const], ['form' as const]])('exchanges the code with a %s body', async (tokenRequestFormat) => {
    const { outcome } = await login(strategy({ tokenRequestFormat }))
    expect(outcome.type).toBe('success')
  })

  it('adds tokenParams() to the token request body without replacing authorization_code', async () => {
    const s = strategy()
    s.tokenParams = () => ({ authorization_code: 'forged', locale: 'kk' })
    const { outcome } = await login(s)
    expect(outcome.type).toBe('success')
  })

  it('takes the profile id from freedom_id when the user info has neither sub nor id', async () => {
    const seen: Seen[] = []
    emulator.nextUserInfoResponse({ body: { freedom_id: user.sub, firstname: 'A' } })
    const { outcome } = await login(strategy({}, seen))
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub } })
    expect(seen[0]!.profile.displayName).toBe('A')
  })

  it('finishes logins started in two tabs of one session', async () => {
    const s = strategy()
    const session = fakeSession()
    const tab1 = await run(s, fakeRequest({ session }))
    const tab2 = await run(s, fakeRequest({ session }))
    const cb2 = await authorize(startURL(tab2))
    const cb1 = await authorize(startURL(tab1))
    expect((await run(s, fakeRequest({ session, url: `/cb?${cb2}` }))).type).toBe('success')
    expect((await run(s, fakeRequest({ session, url: `/cb?${cb1}` }))).type).toBe('success')
  })
})

describe('state in the OAuth2 flavour', () => {
  it('fails a callback without state and makes no token request', async () => {
    const { outcome } = await login(strategy(), { editCallback: (q) => q.delete('state') })
    expect(failure(outcome).code).toBe('STATE_MISSING')
    expect(emulator.stats.token).toBe(0)
  })

  it('fails a callback whose state belongs to another login', async () => {
    const { outcome } = await login(strategy(), { editCallback: (q) => q.set('state', 'someone-elses-state') })
    expect(failure(outcome).code).toBe('STATE_MISSING')
    expect(emulator.stats.token).toBe(0)
  })

  it('fails a callback in another session', async () => {
    const s = strategy()
    const { callback } = await login(s, { editCallback: () => undefined })
    const outcome = await run(s, fakeRequest({ url: `/cb?${callback}` }))
    expect(failure(outcome).code).toBe('STATE_MISSING')
  })

  it('fails a replayed callback', async () => {
    const s = strategy()
    const first = await login(s)
    expect(first.outcome.type).toBe('success')
    const replay = await run(s, fakeRequest({ session: first.session, url: `/cb?${first.callback}` }))
    expect(failure(replay).code).toBe('STATE_MISSING')
    expect(emulator.stats.token).toBe(1)
  })

  it('fails a callback with a state but an empty authorization_code', async () => {
    const { outcome } = await login(strategy(), { editCallback: (q) => q.set('authorization_code', '') })
    expect(failure(outcome).code).toBe('CODE_MISSING')
  })

  it('treats an OIDC-style code parameter as no code: a callback with an unknown state fails, with no token call', async () => {
    const outcome = await run(strategy(), fakeRequest({ url: '/cb?code=abc&state=x' }))
    expect(failure(outcome).code).toBe('STATE_MISSING')
    expect(emulator.stats.token).toBe(0)
  })

  it('a callback with the pending login\'s state but no authorization_code fails with CODE_MISSING instead of starting again', async () => {
    const s = strategy()
    const session = fakeSession()
    const start = await run(s, fakeRequest({ session }))
    const state = new URL(startURL(start)).searchParams.get('track_id') && Object.keys(session['freedom-id'] as object)[0]!
    const outcome = await run(s, fakeRequest({ session, url: `/cb?state=${state}` }))
    expect(failure(outcome).code).toBe('CODE_MISSING')
    expect(emulator.stats.token).toBe(0)
    expect(session['freedom-id']).toBeUndefined()
  })

  describe('with stateInRedirectURI false', () => {
    it('signs the user in from a callback that carries no state', async () => {
      const { outcome, callback } = await login(strategy({ stateInRedirectURI: false }))
      expect(callback.has('state')).toBe(false)
      expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub } })
    })

    it('fails a replayed callback', async () => {
      const s = strategy({ stateInRedirectURI: false })
      const first = await login(s)
      const replay = await run(s, fakeRequest({ session: first.session, url: `/cb?${first.callback}` }))
      expect(failure(replay).code).toBe('STATE_MISSING')
    })

    it('keeps only the newest login of a session: an older tab finishes with the newest record', async () => {
      const s = strategy({ stateInRedirectURI: false })
      const session = fakeSession()
      const tab1 = await run(s, fakeRequest({ session }))
      await run(s, fakeRequest({ session }))
      const cb1 = await authorize(startURL(tab1))
      expect((await run(s, fakeRequest({ session, url: `/cb?${cb1}` }))).type).toBe('success')
      expect(failure(await run(s, fakeRequest({ session, url: `/cb?${cb1}` }))).code).toBe('STATE_MISSING')
    })

    it('fails a callback in a session with no pending login', async () => {
      const outcome = await run(strategy({ stateInRedirectURI: false }), fakeRequest({ url: '/cb?authorization_code=abc' }))
      expect(failure(outcome).code).toBe('STATE_MISSING')
    })
  })
})

describe('the user cancelling', () => {
  async function cancel(s: FreedomIdStrategy, session: Record<string, unknown>): Promise<URLSearchParams> {
    emulator.setAutoLogin(false)
    const page = await request(startURL(await run(s, fakeRequest({ session }))))
    const html = await page.body.text()
    const transaction = /name="transaction" value="([^"]+)"/.exec(html)![1]!
    const decided = await request(`${emulator.url}/login/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ transaction, cancel: '1' }).toString(),
    })
    await decided.body.dump()
    return new URL(String(decided.headers.location)).searchParams
  }

  it.each([[true], [false]])('fails with the error_code and consumes the login (stateInRedirectURI %s)', async (stateInRedirectURI) => {
    const s = strategy({ stateInRedirectURI })
    const session = fakeSession()
    const callback = await cancel(s, session)
    expect(callback.get('error_code')).toBe(String(CANCEL_ERROR_CODE))
    const challenge = failure(await run(s, fakeRequest({ session, url: `/cb?${callback}` })))
    expect(challenge.code).toBe('ACCESS_DENIED')
    expect((challenge as { providerCode?: unknown }).providerCode).toBe(CANCEL_ERROR_CODE)
    expect(session['freedom-id']).toBeUndefined()
  })
})

describe('token and user info faults', () => {
  const cases: Array<[string, 'fail' | 'error', string, () => void]> = [
    ['the business error 100101 under HTTP 200', 'fail', 'PROVIDER_ERROR', () => emulator.nextTokenResponse({ status: 200, body: { error: { message: 'Invalid authorization_code.', code: 100101 } } })],
    ['a validation error', 'fail', 'PROVIDER_ERROR', () => emulator.nextTokenResponse({ status: 422, body: { error: { message: 'Error validating transmitted data.', errors: { authorization_code: ['The Authorization code field is required.'] } } } })],
    ['a 5xx token answer', 'error', 'PROVIDER_HTTP_ERROR', () => emulator.nextTokenResponse({ status: 503, rawBody: 'busy', contentType: 'text/plain' })],
    ['a token answer after the timeout', 'error', 'PROVIDER_TIMEOUT', () => emulator.nextTokenResponse({ delay: 3000 })],
    ['a token answer without access_token', 'error', 'TOKEN_RESPONSE_INVALID', () => emulator.nextTokenResponse({ body: { refresh_token: 'r' } })],
    ['a token answer that is not JSON', 'error', 'RESPONSE_NOT_JSON', () => emulator.nextTokenResponse({ rawBody: '<html>', contentType: 'text/html' })],
    ['a user info refusal', 'fail', 'PROVIDER_ERROR', () => emulator.nextUserInfoResponse({ status: 401, body: { error: { message: 'Unauthenticated.', code: 100402 } } })],
    ['a user info answer that names no user', 'error', 'USERINFO_INVALID', () => emulator.nextUserInfoResponse({ body: { firstname: 'A' } })],
    ['a 5xx user info answer', 'error', 'PROVIDER_HTTP_ERROR', () => emulator.nextUserInfoResponse({ status: 500, body: { error: { message: 'Oops' } } })],
  ]

  it.each(cases)('%s ends the login with %s and code %s', async (_name, type, code, tamper) => {
    tamper()
    const { outcome } = await login(strategy())
    expect(outcome.type).toBe(type)
    expect(type === 'fail' ? failure(outcome).code : errorOf(outcome).code).toBe(code)
  })

  it('fails with the provider message and code when the code was already used', async () => {
    const s = strategy()
    const first = await login(s)
    const second = await login(s, { editCallback: (q) => q.set('authorization_code', first.callback.get('authorization_code')!) })
    const challenge = failure(second.outcome)
    expect(challenge.code).toBe('PROVIDER_ERROR')
    expect(challenge.message).toContain('100101')
    expect(challenge.message).toContain('Invalid authorization_code.')
  })
})
