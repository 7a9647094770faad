import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startEmulator, DEFAULT_USERS, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize, errorOf, failure, login } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'
import { fakeRequest, fakeSession, run } from '../helpers/strategy-harness.js'

const user = DEFAULT_USERS[0]!
let slashed: RunningEmulator
let withIss: RunningEmulator
let plain: RunningEmulator
const strategy = strategyMaker(() => plain.url, { skipUserProfile: true, timeout: 2000 })

beforeAll(async () => {
  ;[slashed, withIss, plain] = await Promise.all([
    startEmulator({ autoLogin: user.sub, issuerTrailingSlash: true }),
    startEmulator({ autoLogin: user.sub, authorizationResponseIss: true }),
    startEmulator({ autoLogin: user.sub }),
  ])
})
afterAll(async () => {
  await strategy.closeAll()
  await Promise.all([slashed.close(), withIss.close(), plain.close()])
})
beforeEach(() => {
  for (const e of [slashed, withIss, plain]) e.reset()
})

describe('issuer exactness', () => {
  it('signs in against an issuer with a trailing slash, configured with it', async () => {
    expect(slashed.issuer).toBe(`${slashed.url}/`)
    const s = strategy({ issuer: slashed.issuer })
    const { outcome } = await login(s)
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub } })
    expect(slashed.stats).toMatchObject({ discovery: 1, jwks: 1, token: 1 })
  })

  it('sends the browser and the token request to single-slash URLs under a slashed issuer', async () => {
    const start = await run(strategy({ issuer: slashed.issuer }), fakeRequest({ session: fakeSession() }))
    expect((start as { url: string }).url.startsWith(`${slashed.url}/openid?`)).toBe(true)
  })

  it('refuses an issuer that differs from the configured one by its trailing slash (discovery names another issuer)', async () => {
    const err = errorOf((await login(strategy({ issuer: slashed.url }))).outcome)
    expect(err.code).toBe('JWKS_UNAVAILABLE')
    expect(err.message).toContain('another issuer')
  })

  it('refuses an id_token whose iss differs by a trailing slash, with jwksURI set', async () => {
    const s = strategy({ issuer: slashed.url, jwksURI: `${slashed.url}/.well-known/jwks.json` })
    expect(failure((await login(s)).outcome)).toMatchObject({ code: 'ID_TOKEN_INVALID', claim: 'iss' })
  })
})

describe('RFC 9207 iss on the callback', () => {
  const atWithIss = () => strategy({ issuer: withIss.issuer })

  it('signs in when the provider sends its iss', async () => {
    const { outcome, callback } = await login(atWithIss())
    expect(callback.get('iss')).toBe(withIss.issuer)
    expect(outcome.type).toBe('success')
  })

  it('refuses a callback whose iss names another issuer, before any token request', async () => {
    const { outcome } = await login(atWithIss(), { editCallback: (q) => q.set('iss', 'https://evil.example') })
    expect(failure(outcome).code).toBe('ISSUER_MISMATCH')
    expect(withIss.stats.token).toBe(0)
  })

  it('refuses a callback without iss when discovery advertises authorization_response_iss_parameter_supported', async () => {
    const { outcome } = await login(atWithIss(), { editCallback: (q) => q.delete('iss') })
    expect(failure(outcome).code).toBe('ISSUER_MISMATCH')
    expect(withIss.stats.token).toBe(0)
  })

  it('refuses a tampered iss on an error callback instead of reporting the error', async () => {
    const { outcome } = await login(atWithIss(), {
      editCallback: (q) => {
        q.delete('code')
        q.set('error', 'access_denied')
        q.set('iss', 'https://evil.example')
      },
    })
    expect(failure(outcome).code).toBe('ISSUER_MISMATCH')
  })

  it('accepts a callback without iss from a provider that does not advertise it (Freedom ID documents none)', async () => {
    const { outcome, callback } = await login(strategy())
    expect(callback.has('iss')).toBe(false)
    expect(outcome.type).toBe('success')
  })

  it('refuses an iss given twice, even when both name the issuer (a parsed query makes it an array)', async () => {
    const s = atWithIss()
    const session = fakeSession()
    const start = (await run(s, fakeRequest({ session }))) as { url: string }
    const callback = await authorize(start.url)
    expect(callback.get('iss')).toBe(withIss.issuer)
    const query = { ...Object.fromEntries(callback), iss: [withIss.issuer, withIss.issuer] }
    const outcome = await run(s, fakeRequest({ session, url: `/auth/freedom-id/callback?${callback}`, query }))
    expect(failure(outcome).code).toBe('ISSUER_MISMATCH')
    expect(withIss.stats.token).toBe(0)
  })

  it('still checks an iss that a provider without the advertisement sends', async () => {
    const { outcome } = await login(strategy(), { editCallback: (q) => q.set('iss', `${plain.url}/`) })
    expect(failure(outcome).code).toBe('ISSUER_MISMATCH')
    expect(plain.stats.token).toBe(0)
  })
})
