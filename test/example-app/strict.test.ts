import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { CALLBACK_PATH } from '../../example-app/config.js'
import { DEFAULT_USERS, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'
import { startApp, type RunningApp } from './support.js'

/** The sample app with EMULATOR_STRICT=1: the emulator's strict preset, callback URLs registered exactly. */

const alice = DEFAULT_USERS[0]!
let emulator: RunningEmulator
let oidcApp: RunningApp
let oauth2App: RunningApp

beforeAll(async () => {
  emulator = await startEmulator({ strict: true, autoLogin: alice.sub })
  oidcApp = await startApp(emulator, { emulatorStrict: true })
  oauth2App = await startApp(emulator, { emulatorStrict: true, protocol: 'oauth2' })
  emulator.clients[0]!.redirectURIs = [oidcApp.url, oauth2App.url].map((origin) => `${origin}${CALLBACK_PATH}`)
})
afterAll(async () => {
  await Promise.all([oidcApp?.close(), oauth2App?.close()])
  await emulator?.close()
})
beforeEach(() => {
  emulator.reset()
})

async function signIn(app: RunningApp): Promise<ReturnType<typeof request.agent>> {
  const agent = request.agent(app.url)
  const start = await agent.get('/auth/freedom-id').expect(302)
  const callback = await authorize(start.headers.location!)
  const back = new URL(`${CALLBACK_PATH}?${callback}`, app.url)
  await agent.get(`${back.pathname}${back.search}`).expect(302).expect('location', '/profile')
  return agent
}

describe('the sample app on the strict emulator', () => {
  it('OIDC: signs in with an HS256 id_token, without a JWKS, and provider sign-out ends the session', async () => {
    const agent = await signIn(oidcApp)
    const profile = await agent.get('/profile').expect(200)
    expect(profile.text).toContain('<h1>Aigerim Bekova</h1>')
    expect(profile.text).not.toContain('<th scope="row">auth_time</th>')
    // Discovery is asked once (a 404 here), for RFC 9207's promise of `iss` on callbacks; the login does not need it.
    expect(emulator.stats).toMatchObject({ discovery: 1, jwks: 0 })
    const deliveries = await emulator.logout({ sub: alice.sub })
    expect(deliveries).toEqual([{ id: expect.any(String), revokeURI: `${oidcApp.url}${oidcApp.config.revokePath}`, status: 204 }])
    await agent.get('/profile').expect(302).expect('location', '/')
  })

  it('OAuth2: registers the bare callback URL (stateInRedirectURI: false), which exact matching accepts', async () => {
    const agent = await signIn(oauth2App)
    expect((await agent.get('/profile').expect(200)).text).toContain('<h1>Aigerim Bekova</h1>')
    await emulator.logout({ sub: alice.sub })
    await agent.get('/profile').expect(302).expect('location', '/')
  })
})
