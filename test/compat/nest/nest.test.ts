import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../../src/emulator/index.js'
import { authorize } from '../../helpers/login.js'
import { listenFirst } from '../listen.js'
import { REQUEST_TIMEOUT_MS, stackScenarios, type RunningStack } from '../scenarios.js'
import { createNestApp, type ValidateForm } from './nest-app.js'

const user = DEFAULT_USERS[0]!
let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(async () => {
  await emulator.close()
})

async function startNest(form: ValidateForm) {
  const listening = await listenFirst()
  const options = { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, callbackURL: `${listening.url}/auth/freedom-id/callback`, issuer: emulator.url }
  const { app, seen } = await createNestApp(options, form, listening.url)
  await app.init()
  listening.serve(app.getHttpAdapter().getInstance())
  const running: RunningStack = {
    url: listening.url,
    failureStatus: 401, // AuthGuard throws UnauthorizedException
    close: async () => {
      await listening.close()
      await app.close()
    },
  }
  return { running, seen }
}

describe('NestJS (@nestjs/passport on Express), the README\'s validate(accessToken, refreshToken, params, profile) with callbackArity', () => {
  let app: RunningStack
  beforeAll(async () => {
    app = (await startNest('params')).running
  })
  afterAll(async () => {
    await app.close()
  })
  stackScenarios(() => emulator, () => app)

  it('puts the params the validate form asks for into the user', async () => {
    const agent = request.agent(app.url)
    const start = await agent.get('/auth/freedom-id').timeout(REQUEST_TIMEOUT_MS).expect(302)
    await agent.get(`/auth/freedom-id/callback?${await authorize(start.headers.location!)}`).timeout(REQUEST_TIMEOUT_MS).expect(302)
    const profile = await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(200)
    expect(profile.body).toEqual({ id: user.sub, tokenExpiresIn: 604800 })
  })
})

describe.each([
  ['validate(accessToken, refreshToken, params, profile) without callbackArity', 'params-without-callbackArity'],
  ['validate(accessToken, refreshToken, profile)', 'profile'],
] as Array<[string, ValidateForm]>)('NestJS, %s', (_name, form) => {
  it('gets the arguments its parameters name', async () => {
    const { running, seen } = await startNest(form)
    try {
      const agent = request.agent(running.url)
      const start = await agent.get('/auth/freedom-id').timeout(REQUEST_TIMEOUT_MS).expect(302)
      await agent.get(`/auth/freedom-id/callback?${await authorize(start.headers.location!)}`).timeout(REQUEST_TIMEOUT_MS).expect(302)
      await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(200)
      expect(seen).toHaveLength(1)
      expect(seen[0]!.profile).toMatchObject({ provider: 'freedom-id', id: user.sub })
      if (form === 'profile') expect(seen[0]!.params).toBeUndefined()
      else expect(seen[0]!.params).toMatchObject({ expires_in: 604800, claims: { sub: user.sub } })
    } finally {
      await running.close()
    }
  })
})
