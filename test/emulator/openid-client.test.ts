import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as client from 'openid-client'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'

let emulator: RunningEmulator
const user = DEFAULT_USERS[1]!

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(() => emulator.close())

describe('openid-client (a certified relying party) against the emulator', () => {
  it.each([
    ['client_secret_post', client.ClientSecretPost(DEMO_CLIENT.clientSecret)],
    ['client_secret_basic', client.ClientSecretBasic(DEMO_CLIENT.clientSecret)],
  ])('completes a login with discovery, form-encoded token requests (%s), PKCE and signature checks', async (_name, auth) => {
    const config = await client.discovery(new URL(emulator.url), DEMO_CLIENT.clientID, undefined, auth, {
      execute: [client.allowInsecureRequests],
    })
    client.enableNonRepudiationChecks(config)
    const redirectURI = 'http://127.0.0.1/cb'
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectURI,
      scope: 'openid read.email read.firstname',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    const callback = await authorize(url.href)
    const tokens = await client.authorizationCodeGrant(config, new URL(`${redirectURI}?${callback}`), {
      expectedState: state,
      expectedNonce: nonce,
      pkceCodeVerifier: verifier,
    })
    const claims = tokens.claims()!
    expect(claims).toMatchObject({ iss: emulator.url, sub: user.sub, aud: DEMO_CLIENT.clientID, nonce })
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(info).toMatchObject({ sub: user.sub, email: user.email, firstname: user.firstname })
    expect(info.phone).toBeUndefined()
  })
})
