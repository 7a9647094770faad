import { describe, expect, it, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { ConfigError, DEFAULT_SCOPE, loadConfig } from '../../example-app/config.js'
import { DEMO_CLIENT } from '../../src/emulator/index.js'

const REAL = {
  FREEDOM_ID_CLIENT_ID: '6f1c2a9e-0000-4000-8000-000000000001',
  FREEDOM_ID_CLIENT_SECRET: 'client-secret',
  FREEDOM_ID_CALLBACK_URL: 'https://shop.example.kz/auth/freedom-id/callback',
  SESSION_SECRET: 'a'.repeat(32),
  REVOKE_PATH_SECRET: 'r3v0ke'.repeat(6),
}

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('loadConfig accepted the environment')
}

describe('loadConfig', () => {
  it('runs against the emulator when FREEDOM_ID_CLIENT_ID is unset', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      mode: 'emulator',
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: '/auth/freedom-id/callback',
      protocol: 'oidc',
      scope: DEFAULT_SCOPE,
      port: 3000,
      emulatorPort: 4000,
      host: '127.0.0.1',
      trustProxy: false,
    })
    expect(config.issuer).toBeUndefined()
    expect(config.sessionSecret).toMatch(/^[0-9a-f]{64}$/)
    expect(loadConfig({}).sessionSecret).not.toBe(config.sessionSecret)
  })

  it('talks to Freedom ID with the given credentials and registers the revoke route on the callback origin', () => {
    const config = loadConfig({
      ...REAL,
      FREEDOM_ID_SCOPE: 'read.email  read.phones',
      FREEDOM_ID_PROTOCOL: 'oauth2',
      REDIS_URL: 'redis://cache:6379',
      PORT: '0',
      TRUST_PROXY: '1',
    })
    expect(config).toEqual({
      mode: 'freedom-id',
      clientID: REAL.FREEDOM_ID_CLIENT_ID,
      clientSecret: REAL.FREEDOM_ID_CLIENT_SECRET,
      callbackURL: REAL.FREEDOM_ID_CALLBACK_URL,
      sessionSecret: REAL.SESSION_SECRET,
      revokeURL: `https://shop.example.kz/auth/freedom-id/revoke/${'r3v0ke'.repeat(6)}`,
      revokePath: `/auth/freedom-id/revoke/${'r3v0ke'.repeat(6)}`,
      protocol: 'oauth2',
      scope: ['read.email', 'read.phones'],
      redisURL: 'redis://cache:6379',
      port: 0,
      emulatorPort: 4000,
      trustProxy: 1,
      loginState: 'session',
    })
  })

  it('reads LOGIN_STATE: session by default, or cookie', () => {
    expect(loadConfig({}).loginState).toBe('session')
    expect(loadConfig({ LOGIN_STATE: 'cookie' }).loginState).toBe('cookie')
    expect(loadConfig({ ...REAL, LOGIN_STATE: 'cookie' }).loginState).toBe('cookie')
  })

  it('reads EMULATOR_AUTO_LOGIN as a sub, or true for the first test user', () => {
    expect(loadConfig({ EMULATOR_AUTO_LOGIN: 'true' }).emulatorAutoLogin).toBe(true)
    expect(loadConfig({ EMULATOR_AUTO_LOGIN: 'abc' }).emulatorAutoLogin).toBe('abc')
    expect(loadConfig({ EMULATOR_AUTO_LOGIN: 'false' }).emulatorAutoLogin).toBeUndefined()
  })

  it('reads EMULATOR_STRICT as 1/true or 0/false, and refuses anything else or a real-mode use', () => {
    expect(loadConfig({ EMULATOR_STRICT: '1' }).emulatorStrict).toBe(true)
    expect(loadConfig({ EMULATOR_STRICT: 'true' }).emulatorStrict).toBe(true)
    expect(loadConfig({ EMULATOR_STRICT: '0' }).emulatorStrict).toBeUndefined()
    expect(loadConfig({}).emulatorStrict).toBeUndefined()
    expect(configError({ EMULATOR_STRICT: 'yes' }).variable).toBe('EMULATOR_STRICT')
    expect(configError({ ...REAL, EMULATOR_STRICT: '1' }).variable).toBe('EMULATOR_STRICT')
  })

  test.each(['FREEDOM_ID_CLIENT_SECRET', 'FREEDOM_ID_CALLBACK_URL', 'SESSION_SECRET', 'REVOKE_PATH_SECRET'])(
    'names %s when it is missing outside emulator mode',
    (name) => {
      const err = configError({ ...REAL, [name]: undefined })
      expect(err.variable).toBe(name)
      expect(err.message).toContain(name)
    },
  )

  test.each([
    ['a short SESSION_SECRET', { SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    ['a relative callback URL', { FREEDOM_ID_CALLBACK_URL: '/auth/freedom-id/callback' }, 'FREEDOM_ID_CALLBACK_URL'],
    ['a callback on another path', { FREEDOM_ID_CALLBACK_URL: 'https://shop.example.kz/cb' }, 'FREEDOM_ID_CALLBACK_URL'],
    ['an ftp issuer', { FREEDOM_ID_ISSUER: 'ftp://passport.freedompay.kz' }, 'FREEDOM_ID_ISSUER'],
    ['an unknown grant', { FREEDOM_ID_SCOPE: 'read.email read.everything' }, 'FREEDOM_ID_SCOPE'],
    ['an unknown protocol', { FREEDOM_ID_PROTOCOL: 'saml' }, 'FREEDOM_ID_PROTOCOL'],
    ['a port out of range', { PORT: '70000' }, 'PORT'],
    ['a port that is not a number', { EMULATOR_PORT: 'four' }, 'EMULATOR_PORT'],
    ['a REDIS_URL that is not a redis URL', { REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    ['an unknown LOGIN_STATE', { LOGIN_STATE: 'jwt' }, 'LOGIN_STATE'],
  ])('refuses %s', (_name, env: Record<string, string>, variable) => {
    expect(configError({ ...REAL, ...env }).variable).toBe(variable)
  })

  it('mounts the revoke route at a secret segment: random per process in emulator mode, REVOKE_PATH_SECRET when set', () => {
    const emulatorMode = loadConfig({})
    expect(emulatorMode.revokePath).toMatch(/^\/auth\/freedom-id\/revoke\/[0-9a-f]{64}$/)
    expect(loadConfig({}).revokePath).not.toBe(emulatorMode.revokePath)
    const secret = 'x'.repeat(40)
    expect(loadConfig({ REVOKE_PATH_SECRET: secret }).revokePath).toBe(`/auth/freedom-id/revoke/${secret}`)
  })

  test.each([
    ['too short', 'abc'],
    ['with a slash', `${'a'.repeat(32)}/x`],
  ])('refuses a REVOKE_PATH_SECRET %s', (_name, secret) => {
    expect(configError({ ...REAL, REVOKE_PATH_SECRET: secret }).variable).toBe('REVOKE_PATH_SECRET')
  })

  it('reads REVOKE_ALLOW_FROM as a list of addresses and ranges', () => {
    expect(loadConfig({ REVOKE_ALLOW_FROM: '203.0.113.0/24, 2001:db8::1 198.51.100.7' }).revokeAllowFrom).toEqual([
      '203.0.113.0/24',
      '2001:db8::1',
      '198.51.100.7',
    ])
    expect(loadConfig({}).revokeAllowFrom).toBeUndefined()
  })

  test.each(['FREEDOM_ID_CLIENT_SECRET', 'FREEDOM_ID_CALLBACK_URL'])(
    'asks for FREEDOM_ID_CLIENT_ID when only %s is set',
    (name) => {
      expect(configError({ [name]: REAL[name as keyof typeof REAL] }).variable).toBe('FREEDOM_ID_CLIENT_ID')
    },
  )
})

describe('.env.example', () => {
  it('lists every variable loadConfig reads, and no other', () => {
    const read = (path: string) => readFileSync(new URL(`../../example-app/${path}`, import.meta.url), 'utf8')
    const used = new Set([...read('config.ts').matchAll(/\(env, '([A-Z_]+)'/g)].map((m) => m[1]))
    const listed = new Set([...read('.env.example').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]))
    expect(used.size).toBeGreaterThan(10)
    expect([...listed].sort()).toEqual([...used].sort())
  })
})
