import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { fakeRequest, fakeSession, run } from '../helpers/strategy-harness.js'
import { errorOf, failure, login } from '../helpers/login.js'
import { closedPort } from '../helpers/http-server.js'
import { strategyMaker } from '../helpers/strategies.js'
import { request } from 'undici'

const user = DEFAULT_USERS[0]!
let emulator: RunningEmulator
const strategy = strategyMaker(() => emulator.url, {
  scope: ['read.email', 'read.firstname', 'read.lastname', 'read.phone'],
  timeout: 1000,
})

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(async () => {
  await strategy.closeAll()
  await emulator.close()
})
beforeEach(() => emulator.reset())

describe('the callback', () => {
  it('signs the user in, with the token id and returnTo in info', async () => {
    const { outcome } = await login(strategy(), { authOptions: { returnTo: '/after' } })
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub }, info: { returnTo: '/after' } })
    expect((outcome as unknown as { info: { tokenId: string } }).info.tokenId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('sends revoke_uri in the token request when revokeURL is set', async () => {
    const { outcome } = await login(strategy({ revokeURL: 'https://app.example/auth/freedom-id/revoke' }))
    const tokenId = (outcome as unknown as { info: { tokenId: string } }).info.tokenId
    expect(emulator.tokens().find((t: { id: string }) => t.id === tokenId)?.revokeURI).toBe('https://app.example/auth/freedom-id/revoke')
  })

  it.each([['json' as const], ['form' as const]])('exchanges the code with a %s body', async (tokenRequestFormat) => {
    const { outcome } = await login(strategy({ tokenRequestFormat }))
    expect(outcome.type).toBe('success')
  })

  it('completes a PKCE login, which the emulator enforces', async () => {
    const { outcome } = await login(strategy({ pkce: true }))
    expect(outcome.type).toBe('success')
  })

  it('fails without a pending login, naming the usual causes, and makes no token request', async () => {
    const s = strategy()
    const outcome = await run(s, fakeRequest({ url: '/cb?code=abc&state=nope' }))
    const challenge = failure(outcome)
    expect(challenge.code).toBe('STATE_MISSING')
    expect(challenge.message).toMatch(/SameSite/)
    expect(challenge.message).toMatch(/HTTPS/)
    expect(outcome).toMatchObject({ status: 401 })
    expect(emulator.stats.token).toBe(0)
  })

  it('fails a callback whose state belongs to another login', async () => {
    const { outcome } = await login(strategy(), { editCallback: (q) => q.set('state', 'someone-elses-state') })
    expect(failure(outcome).code).toBe('STATE_MISSING')
    expect(emulator.stats.token).toBe(0)
  })

  it('fails a replayed callback', async () => {
    const s = strategy()
    const first = await login(s)
    expect(first.outcome.type).toBe('success')
    const replay = await run(s, fakeRequest({ session: first.session, url: `/cb?${first.callback}` }))
    expect(failure(replay).code).toBe('STATE_MISSING')
  })

  it('finishes logins started in two tabs of one session', async () => {
    const s = strategy()
    const session = fakeSession()
    const tab1 = await run(s, fakeRequest({ session }))
    const tab2 = await run(s, fakeRequest({ session }))
    const { authorize } = await import('../helpers/login.js')
    const cb2 = await authorize((tab2 as { url: string }).url)
    const cb1 = await authorize((tab1 as { url: string }).url)
    expect((await run(s, fakeRequest({ session, url: `/cb?${cb2}` }))).type).toBe('success')
    expect((await run(s, fakeRequest({ session, url: `/cb?${cb1}` }))).type).toBe('success')
  })

  it('fails a callback with a state but no usable code', async () => {
    const { outcome } = await login(strategy(), { editCallback: (q) => q.set('code', '') })
    expect(failure(outcome).code).toBe('CODE_MISSING')
  })

  it('fails with the provider error 100101 when a code is used twice', async () => {
    const s = strategy()
    const first = await login(s)
    const second = await login(s, { editCallback: (q) => q.set('code', first.callback.get('code')!) })
    const challenge = failure(second.outcome)
    expect(challenge.code).toBe('PROVIDER_ERROR')
    expect(challenge.message).toContain('100101')
    expect(challenge.message).toContain('Invalid authorization_code.')
  })
})

describe('provider error callbacks', () => {
  async function pending(s: ReturnType<typeof strategy>, session: ReturnType<typeof fakeSession>): Promise<string> {
    const start = await run(s, fakeRequest({ session }))
    return new URL((start as { url: string }).url).searchParams.get('state')!
  }

  it('treats access_denied as a plain failure, keeps the description out of the message, and consumes the record', async () => {
    const s = strategy()
    const session = fakeSession()
    const state = await pending(s, session)
    const outcome = await run(s, fakeRequest({ session, url: `/cb?error=access_denied&error_description=The+user+cancelled&state=${state}` }))
    expect(failure(outcome)).toMatchObject({ code: 'ACCESS_DENIED', message: 'The user cancelled the Freedom ID sign-in.', providerMessage: 'The user cancelled' })
    expect(session['freedom-id']).toBeUndefined()
  })

  it.each([
    ['no state', ''],
    ['a state of no pending login', '&state=forged'],
  ])('an error callback with %s fails with STATE_MISSING and never shows the provided text', async (_name, stateParam) => {
    const s = strategy()
    const session = fakeSession()
    const state = await pending(s, session)
    const outcome = await run(s, fakeRequest({ session, url: `/cb?error=access_denied&error_description=Call+0800+now${stateParam}` }))
    const challenge = failure(outcome)
    expect(challenge.code).toBe('STATE_MISSING')
    expect(JSON.stringify(challenge)).not.toContain('0800')
    expect(Object.keys(session['freedom-id'] as object)).toEqual([state])
  })

  it("treats Freedom ID's cancel code 100102 as ACCESS_DENIED", async () => {
    const s = strategy()
    const session = fakeSession()
    const state = await pending(s, session)
    const challenge = failure(await run(s, fakeRequest({ session, url: `/cb?error_code=100102&state=${state}` })))
    expect(challenge).toMatchObject({ code: 'ACCESS_DENIED', providerCode: 100102 })
  })

  it("fails another Freedom ID error_code as AUTHORIZATION_ERROR naming it", async () => {
    const s = strategy()
    const session = fakeSession()
    const state = await pending(s, session)
    const challenge = failure(await run(s, fakeRequest({ session, url: `/cb?error_code=100199&state=${state}` })))
    expect(challenge).toMatchObject({ code: 'AUTHORIZATION_ERROR', providerCode: 100199 })
    expect(challenge.message).toContain('100199')
  })

  it('fails any other OAuth error with its code in the message and its description only in providerMessage', async () => {
    const s = strategy()
    const session = fakeSession()
    const state = await pending(s, session)
    const outcome = await run(s, fakeRequest({ session, url: `/cb?error=server_error&error_description=Try+later&state=${state}` }))
    const challenge = failure(outcome)
    expect(challenge).toMatchObject({ code: 'AUTHORIZATION_ERROR', providerCode: 'server_error', providerMessage: 'Try later' })
    expect(challenge.message).toContain('server_error')
    expect(challenge.message).not.toContain('Try later')
  })

  it('fails a malformed error parameter without throwing', async () => {
    const s = strategy()
    const session = fakeSession()
    const state = await pending(s, session)
    const req = fakeRequest({ session, query: { error: ['a', 'b'], state } })
    expect(failure(await run(s, req)).code).toBe('AUTHORIZATION_ERROR')
  })
})

describe('the user cancelling on the emulator', () => {
  it('fails with ACCESS_DENIED, a message of ours and the provider\'s text in providerMessage; a replay is STATE_MISSING', async () => {
    const s = strategy()
    const session = fakeSession()
    const start = await run(s, fakeRequest({ session }))
    emulator.setAutoLogin(false)
    try {
      const page = await request((start as { url: string }).url)
      const transaction = /name="transaction" value="([^"]+)"/.exec(await page.body.text())![1]!
      const decided = await request(`${emulator.url}/openid/decide`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ transaction, cancel: '1' }).toString(),
      })
      await decided.body.dump()
      const callback = new URL(String(decided.headers.location)).search
      const challenge = failure(await run(s, fakeRequest({ session, url: `/cb${callback}` })))
      expect(challenge).toMatchObject({ code: 'ACCESS_DENIED', message: 'The user cancelled the Freedom ID sign-in.', providerMessage: 'The user cancelled' })
      expect(failure(await run(s, fakeRequest({ session, url: `/cb${callback}` }))).code).toBe('STATE_MISSING')
    } finally {
      emulator.setAutoLogin(user.sub)
    }
  })
})

describe('a callback without a code', () => {
  it('with the pending login\'s state fails with CODE_MISSING, consumes the login and does not start another', async () => {
    const s = strategy()
    const session = fakeSession()
    const start = await run(s, fakeRequest({ session }))
    const state = new URL((start as { url: string }).url).searchParams.get('state')!
    const outcome = await run(s, fakeRequest({ session, url: `/cb?state=${state}` }))
    expect(failure(outcome).code).toBe('CODE_MISSING')
    expect(outcome).toMatchObject({ status: 400 })
    expect(session['freedom-id']).toBeUndefined()
    expect(emulator.stats.token).toBe(0)
  })

  it('through the emulator: a provider that sends the user back with the state alone does not loop', async () => {
    const { outcome } = await login(strategy(), { editCallback: (q) => q.delete('code') })
    expect(failure(outcome).code).toBe('CODE_MISSING')
    expect(emulator.stats.authorize).toBe(1)
  })
})

describe('token endpoint faults', () => {
  const cases: Array<[string, () => void, 'fail' | 'error', string, number]> = [
    ['a 400 Freedom ID error body', () => emulator.nextTokenResponse({ status: 400, body: { error: { message: 'Invalid authorization_code.', code: 100101 } } }), 'fail', 'PROVIDER_ERROR', 401],
    ['a 200 with an error member', () => emulator.nextTokenResponse({ status: 200, body: { error: { message: 'Nope', code: 100199 } } }), 'fail', 'PROVIDER_ERROR', 401],
    ['an OAuth invalid_grant', () => emulator.nextTokenResponse({ status: 400, body: { error: 'invalid_grant', error_description: 'expired' } }), 'fail', 'PROVIDER_ERROR', 401],
    ['a 401 without a body', () => emulator.nextTokenResponse({ status: 401, rawBody: '' }), 'fail', 'PROVIDER_ERROR', 401],
    ['a 500', () => emulator.nextTokenResponse({ status: 500, body: { message: 'Server Error' } }), 'error', 'PROVIDER_HTTP_ERROR', 502],
    ['a 503 HTML page', () => emulator.nextTokenResponse({ status: 503, rawBody: '<h1>Maintenance</h1>', contentType: 'text/html' }), 'error', 'PROVIDER_HTTP_ERROR', 502],
    ['a 200 that is not JSON', () => emulator.nextTokenResponse({ status: 200, rawBody: 'OK', contentType: 'text/plain' }), 'error', 'RESPONSE_NOT_JSON', 502],
    ['a body over 1 MiB', () => emulator.nextTokenResponse({ status: 200, rawBody: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) }), 'error', 'RESPONSE_TOO_LARGE', 502],
    ['an answer slower than timeout', () => emulator.nextTokenResponse({ delay: 2500 }), 'error', 'PROVIDER_TIMEOUT', 504],
    ['a response without id_token', () => emulator.nextTokenResponse({ body: { access_token: 'a'.repeat(128), token_type: 'Bearer' } }), 'error', 'TOKEN_RESPONSE_INVALID', 502],
    ['a JSON array', () => emulator.nextTokenResponse({ body: [1, 2] }), 'error', 'TOKEN_RESPONSE_INVALID', 502],
  ]
  it.each(cases)('%s ends the login as %s %s (status %d)', async (_name, tamper, type, code, status) => {
    tamper()
    const { outcome } = await login(strategy())
    expect(outcome.type).toBe(type)
    const err = type === 'fail' ? failure(outcome) : errorOf(outcome)
    expect(err.code).toBe(code)
    if (type === 'fail') expect(outcome).toMatchObject({ status })
    else expect(errorOf(outcome).status).toBe(status)
    expect(JSON.stringify(err) + String((err as Error).message)).not.toContain(DEMO_CLIENT.clientSecret)
  })

  it('reports an unreachable token endpoint as PROVIDER_UNREACHABLE', async () => {
    const port = await closedPort()
    const { outcome } = await login(strategy({ tokenURL: `http://127.0.0.1:${port}/token` }))
    expect(errorOf(outcome)).toMatchObject({ code: 'PROVIDER_UNREACHABLE', status: 502 })
  })
})

describe('userinfo', () => {
  it('fails when the userinfo sub differs from the id_token sub', async () => {
    emulator.nextUserInfoResponse({ body: { sub: DEFAULT_USERS[1]!.sub, email: 'x@y.kz' } })
    const { outcome } = await login(strategy())
    expect(failure(outcome).code).toBe('USERINFO_SUB_MISMATCH')
  })

  it('errors when userinfo answers 500', async () => {
    emulator.nextUserInfoResponse({ status: 500, body: {} })
    const { outcome } = await login(strategy())
    expect(errorOf(outcome).code).toBe('PROVIDER_HTTP_ERROR')
  })

  it('errors when userinfo names no user', async () => {
    emulator.nextUserInfoResponse({ body: { email: 'x@y.kz' } })
    const { outcome } = await login(strategy())
    expect(errorOf(outcome).code).toBe('USERINFO_INVALID')
  })

  it('is not called with skipUserProfile, and the profile comes from the id_token', async () => {
    let seen: { id: string; _json: Record<string, unknown> } | undefined
    const s = strategy({ skipUserProfile: true }, (_a: string, _r: string, profile: typeof seen, done: (e: null, u: unknown) => void) => {
      seen = profile
      done(null, { id: profile!.id })
    })
    const { outcome } = await login(s)
    expect(outcome.type).toBe('success')
    expect(emulator.stats.userinfo).toBe(0)
    expect(seen?.id).toBe(user.sub)
    expect(seen?._json.iss).toBe(emulator.url)
  })
})
