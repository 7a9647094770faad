import { createPublicKey } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { decodeProtectedHeader, jwtVerify } from 'jose'
import { createEmulator, DEFAULT_USERS, DEMO_CLIENT, type EmulatorSigningAlg } from '../../src/emulator/index.js'
import request from 'supertest'
import { authorize, basic, CALLBACK, oidcTokens, verifyWithServedJWKS } from './support.js'

const aigerim = DEFAULT_USERS[0]!

describe('signing keys', () => {
  it.each<[EmulatorSigningAlg, string]>([
    ['RS256', 'RSA'],
    ['PS256', 'RSA'],
    ['ES256', 'EC'],
    ['EdDSA', 'OKP'],
  ])('signs %s id_tokens that verify against the served JWKS', async (alg, kty) => {
    const emulator = createEmulator({ autoLogin: aigerim.sub, idTokenAlg: alg })
    const tokens = await oidcTokens(emulator)
    const { protectedHeader, payload } = await verifyWithServedJWKS(emulator, tokens.id_token as string)
    expect(protectedHeader.alg).toBe(alg)
    expect(payload.sub).toBe(aigerim.sub)
    expect(emulator.publicJWKS().keys[0]).toMatchObject({ kty, alg })
  })

  it('signs HS256 with the secret of the client the token is for', async () => {
    const secret = 'another-client-secret-of-enough-length'
    const emulator = createEmulator({ autoLogin: aigerim.sub, idTokenAlg: 'HS256', clients: [{ clientID: 'c2', clientSecret: secret }] })
    const code = (await authorize(emulator.app, { client_id: 'c2' })).get('code')
    const res = await request(emulator.app)
      .post('/api/v1/oidc/token')
      .set('Authorization', basic('c2', secret))
      .send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })
      .expect(200)
    const { payload } = await jwtVerify(res.body.id_token as string, new TextEncoder().encode(secret))
    expect(payload.aud).toBe('c2')
    await expect(
      jwtVerify(res.body.id_token as string, new TextEncoder().encode(DEMO_CLIENT.clientSecret)),
    ).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  })

  it('rotates to a new kid and then lists only the new key', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const before = await oidcTokens(emulator)
    const oldKid = emulator.publicJWKS().keys[0]!.kid
    await emulator.rotateKeys()
    const jwks = emulator.publicJWKS()
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]!.kid).not.toBe(oldKid)
    await expect(verifyWithServedJWKS(emulator, before.id_token as string)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    const after = await oidcTokens(emulator)
    expect(decodeProtectedHeader(after.id_token as string).kid).toBe(jwks.keys[0]!.kid)
    await verifyWithServedJWKS(emulator, after.id_token as string)
  })

  it('gives the current public key as SPKI PEM, the same key as the JWKS', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const pem = emulator.publicKeyPEM()
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    expect(createPublicKey(pem).export({ format: 'jwk' })).toMatchObject({ n: emulator.publicJWKS().keys[0]!.n })
    const tokens = await oidcTokens(emulator)
    await jwtVerify(tokens.id_token as string, createPublicKey(pem))
  })

  it('still publishes an RSA key in HS256 mode', () => {
    const emulator = createEmulator({ idTokenAlg: 'HS256' })
    expect(emulator.publicJWKS().keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' })
    expect(emulator.publicKeyPEM()).toContain('BEGIN PUBLIC KEY')
  })
})
