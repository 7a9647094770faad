import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { SignJWT } from 'jose'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { errorOf, login } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

const user = DEFAULT_USERS[0]!
let emulator: RunningEmulator
const withProfile = (_a: string, _r: string, profile: unknown, done: (e: null, u: unknown) => void) => done(null, profile)
const make = strategyMaker(() => emulator.url, { scope: ['read.email', 'read.firstname'] })
const strategy = (overrides = {}) => make(overrides, withProfile)

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(async () => {
  await make.closeAll()
  await emulator.close()
})
beforeEach(() => emulator.reset())

const standardClaims = {
  sub: user.sub,
  given_name: 'Aigerim',
  family_name: 'Bekova',
  name: 'Aigerim Bekova',
  email: 'aigerim@example.kz',
  email_verified: true,
  phone_number: '+77011234567',
  phone_number_verified: true,
  birthdate: '1994-03-12',
  picture: 'https://cdn.example/a.png',
  locale: 'ru-KZ',
}

describe('standard claims from userinfo', () => {
  it('fill the profile when the provider uses the OpenID Connect names', async () => {
    emulator.nextUserInfoResponse({ body: standardClaims })
    const { outcome } = await login(strategy())
    expect(outcome).toMatchObject({
      type: 'success',
      user: {
        displayName: 'Aigerim Bekova',
        name: { givenName: 'Aigerim', familyName: 'Bekova' },
        emails: [{ value: 'aigerim@example.kz', primary: true, verified: true }],
        phoneNumbers: [{ value: '+77011234567', primary: true, verified: true }],
        birthday: '1994-03-12',
        photos: [{ value: 'https://cdn.example/a.png' }],
        locale: 'ru-KZ',
      },
    })
  })
})

describe('signed userinfo (application/jwt)', () => {
  const hs256 = (claims: Record<string, unknown>, secret: string = DEMO_CLIENT.clientSecret) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))

  it('is verified with the client secret and read like JSON userinfo', async () => {
    const jwt = await hs256({ ...standardClaims, iss: emulator.issuer, aud: DEMO_CLIENT.clientID })
    emulator.nextUserInfoResponse({ rawBody: jwt, contentType: 'application/jwt' })
    const { outcome } = await login(strategy())
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub, name: { givenName: 'Aigerim' } } })
  })

  it('with a bad signature ends the login as USERINFO_INVALID', async () => {
    emulator.nextUserInfoResponse({ rawBody: await hs256(standardClaims, 'not-the-client-secret-at-all-0000'), contentType: 'application/jwt' })
    expect(errorOf((await login(strategy())).outcome).code).toBe('USERINFO_INVALID')
  })

  it('for another user fails as USERINFO_SUB_MISMATCH', async () => {
    emulator.nextUserInfoResponse({ rawBody: await hs256({ ...standardClaims, sub: 'someone-else' }), contentType: 'application/jwt' })
    const { outcome } = await login(strategy())
    expect(outcome).toMatchObject({ type: 'fail', challenge: { code: 'USERINFO_SUB_MISMATCH' } })
  })
})

describe('client authentication at the token endpoint', () => {
  it.each([['basic' as const], ['client_secret_basic' as const], ['client_secret_post' as const]])('%s signs in', async (clientAuthMethod) => {
    expect((await login(strategy({ clientAuthMethod }))).outcome.type).toBe('success')
  })
})
