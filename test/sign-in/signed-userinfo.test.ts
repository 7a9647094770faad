import { afterAll, describe, expect, it } from '@jest/globals'
import { SignJWT, generateKeyPair } from 'jose'
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

  it('passes JWKS_UNAVAILABLE through when the keys cannot be fetched', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    expect((await refusal(new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).sign(privateKey))).code).toBe('JWKS_UNAVAILABLE')
  })
})
