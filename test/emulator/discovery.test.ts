import { describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createEmulator, GRANTS } from '../../src/emulator/index.js'

describe('discovery and JWKS', () => {
  it('publishes a discovery document built on the issuer', async () => {
    const emulator = createEmulator({ issuer: 'http://127.0.0.1:4000/' })
    const res = await request(emulator.app).get('/.well-known/openid-configuration').expect(200)
    expect(res.body).toEqual({
      issuer: 'http://127.0.0.1:4000/',
      authorization_endpoint: 'http://127.0.0.1:4000/openid',
      token_endpoint: 'http://127.0.0.1:4000/api/v1/oidc/token',
      userinfo_endpoint: 'http://127.0.0.1:4000/api/v1/oidc/userinfo',
      jwks_uri: 'http://127.0.0.1:4000/.well-known/jwks.json',
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...GRANTS],
      claims_supported: expect.arrayContaining(['sub', 'nonce', 'auth_time', 'email', 'phones', 'date_of_birth']),
    })
    expect(emulator.stats.discovery).toBe(1)
  })

  it.each([
    [{ issuer: 'http://127.0.0.1:4000' }, 'http://127.0.0.1:4000'],
    [{ issuer: 'http://127.0.0.1:4000', issuerTrailingSlash: true }, 'http://127.0.0.1:4000/'],
    [{ issuer: 'http://127.0.0.1:4000/', issuerTrailingSlash: false }, 'http://127.0.0.1:4000'],
  ])('with %j the issuer is %s, and every URL has one slash after the host', async (options, issuer) => {
    const emulator = createEmulator(options)
    expect(emulator.issuer).toBe(issuer)
    const res = await request(emulator.app).get('/.well-known/openid-configuration').expect(200)
    expect(res.body.issuer).toBe(issuer)
    expect(res.body.authorization_endpoint).toBe('http://127.0.0.1:4000/openid')
    expect(res.body.jwks_uri).toBe('http://127.0.0.1:4000/.well-known/jwks.json')
  })

  it('advertises RFC 9207 iss on callbacks only when authorizationResponseIss is on', async () => {
    const off = await request(createEmulator().app).get('/.well-known/openid-configuration').expect(200)
    expect(off.body.authorization_response_iss_parameter_supported).toBeUndefined()
    const on = await request(createEmulator({ authorizationResponseIss: true }).app).get('/.well-known/openid-configuration').expect(200)
    expect(on.body.authorization_response_iss_parameter_supported).toBe(true)
    expect(() => createEmulator({ authorizationResponseIss: 'yes' as never })).toThrow('"authorizationResponseIss"')
  })

  it('advertises the configured signing algorithm', async () => {
    const emulator = createEmulator({ idTokenAlg: 'ES256' })
    const res = await request(emulator.app).get('/.well-known/openid-configuration').expect(200)
    expect(res.body.id_token_signing_alg_values_supported).toEqual(['ES256'])
  })

  it('serves one public signing key with kid, alg and use, and counts the requests', async () => {
    const emulator = createEmulator()
    const res = await request(emulator.app).get('/.well-known/jwks.json').expect(200)
    expect(res.body.keys).toHaveLength(1)
    const [key] = res.body.keys
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' })
    expect(key.d).toBeUndefined()
    expect(res.body).toEqual(emulator.publicJWKS())
    await request(emulator.app).get('/.well-known/jwks.json').expect(200)
    expect(emulator.stats.jwks).toBe(2)
  })

  it('answers an unknown path with a JSON 404', async () => {
    const emulator = createEmulator()
    const res = await request(emulator.app).get('/no/such/path').expect(404)
    expect(res.body).toEqual({ error: { message: 'Not found.', code: 100404 } })
  })
})
