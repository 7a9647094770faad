import { afterAll, describe, expect, it } from '@jest/globals'
import { SignJWT, errors, generateKeyPair } from 'jose'
import { startEmulator } from '../../src/emulator/index.js'
import { FreedomIdError } from '../../src/errors.js'
import { HttpClient } from '../../src/provider/http-client.js'
import { KeySource } from '../../src/provider/jwks.js'
import { verifySignedUserInfo } from '../../src/sign-in/signed-userinfo.js'

const ISSUER = 'https://op.example/'
const CLIENT_ID = 'client-1'
const SECRET = 'a-long-enough-client-secret-for-hs256-tokens'
const http = new HttpClient({ timeout: 500 })
const keys = new KeySource({ issuer: ISSUER, jwksURI: 'http://127.0.0.1:9/jwks', http })
afterAll(() => http.close())

const options = { issuer: ISSUER, clientID: CLIENT_ID, clientSecret: SECRET, algorithms: ['RS256', 'HS256'], clockTolerance: 30, keys }
const hs = (claims: Record<string, unknown>, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(SECRET))

async function refusal(jwt: Promise<string> | string): Promise<FreedomIdError> {
  const err = await verifySignedUserInfo(await jwt, options).catch((e: unknown) => e)
  if (!(err instanceof FreedomIdError)) throw new Error(`expected a FreedomIdError, got ${String(err)}`)
  return err
}

describe('verifySignedUserInfo', () => {
  it('returns the claims of a response signed with an allowed algorithm, iss and aud matching', async () => {
    await expect(verifySignedUserInfo(await hs({ sub: 's1', email: 'a@x.kz', iss: ISSUER, aud: CLIENT_ID }), options)).resolves.toMatchObject({ sub: 's1', email: 'a@x.kz' })
  })

  it('accepts a response without iss and aud (OpenID Connect Core §5.3.2 says SHOULD)', async () => {
    await expect(verifySignedUserInfo(await hs({ sub: 's1' }), options)).resolves.toMatchObject({ sub: 's1' })
  })

  it.each([
    ['another issuer', { sub: 's', iss: 'https://op.example' }, /"iss"/],
    ['another audience', { sub: 's', aud: 'client-2' }, /"aud"/],
    ['an expired response', { sub: 's', exp: Math.floor(Date.now() / 1000) - 3600 }, /expired/],
  ])('refuses %s as USERINFO_INVALID', async (_name, claims, message) => {
    const err = await refusal(hs(claims))
    expect(err.code).toBe('USERINFO_INVALID')
    expect(err.message).toMatch(message)
  })

  it('refuses an algorithm outside the allow-list and a wrong signature', async () => {
    expect((await refusal(hs({ sub: 's' }, 'HS384'))).code).toBe('USERINFO_INVALID')
    const forged = await new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-of-enough-length-0000'))
    expect((await refusal(forged)).code).toBe('USERINFO_INVALID')
    const { privateKey } = await generateKeyPair('ES256')
    expect((await refusal(new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey))).message).toMatch(/ES256/)
  })

  it('allows clockTolerance on exp: 10 s late within 30 s of tolerance, 40 s late not', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expect(verifySignedUserInfo(await hs({ sub: 's', exp: now - 10 }), options)).resolves.toMatchObject({ sub: 's' })
    expect((await refusal(hs({ sub: 's', exp: now - 40 }))).message).toMatch(/expired/)
  })

  it('names the signed userinfo, not the id_token, when its header is refused', async () => {
    const err = await refusal(hs({ sub: 's' }, 'HS384'))
    expect(err.message).toMatch(/^The signed userinfo response was refused: .*signed userinfo/)
    expect(err.message).not.toContain('id_token "alg"')
  })

  it('says the signature does not verify, with the cause kept for the logs', async () => {
    const forged = await new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-of-enough-length-0000'))
    const err = await refusal(forged)
    expect(err.message).toBe('The signed userinfo response was refused: Its signature does not verify with the id_token keys.')
    expect(err.cause).toBeInstanceOf(errors.JWSSignatureVerificationFailed)
    expect((await refusal(hs({ sub: 's', iss: 'https://op.example' }))).cause).toBeUndefined()
  })

  it.each(['HS256X', 'XHS256'])('never checks an alg %s that only contains HS256 with the client secret', async (alg) => {
    // Listed, so the allow-list lets it through: it must go to the provider's keys (unreachable here), not the secret.
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const jwt = `${part({ alg, kid: 'k' })}.${part({ sub: 's' })}.c2ln`
    const err = await verifySignedUserInfo(jwt, { ...options, algorithms: [alg, 'HS256', 'RS256'] }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'JWKS_UNAVAILABLE' })
  })

  it('says no key matches when the provider\'s key set has none for its kid', async () => {
    const emulator = await startEmulator()
    const emulatorKeys = new KeySource({ issuer: emulator.issuer, jwksURI: `${emulator.url}/.well-known/jwks.json`, http })
    try {
      const { privateKey } = await generateKeyPair('RS256')
      const jwt = await new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'RS256', kid: 'not-in-the-set' }).sign(privateKey)
      const err = await verifySignedUserInfo(jwt, { ...options, keys: emulatorKeys }).catch((e: unknown) => e)
      expect(err).toMatchObject({
        code: 'USERINFO_INVALID',
        message: "The signed userinfo response was refused: No key of the provider's JSON Web Key Set matches its header.",
      })
    } finally {
      await emulator.close()
    }
  })

  it('passes JWKS_UNAVAILABLE through when the keys cannot be fetched', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    expect((await refusal(new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).sign(privateKey))).code).toBe('JWKS_UNAVAILABLE')
  })
})
