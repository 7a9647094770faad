import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import express5 from 'express'
import express4 from 'express4'
import type { RequestListener } from 'node:http'
import passport07 from 'passport'
import passport06 from 'passport06'
import request from 'supertest'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import type { FreedomIdProfile, FreedomIdStrategy, FreedomIdStrategyOptions, FreedomIdVerify } from '../../src/index.js'
import { authorize } from '../helpers/login.js'
import { createExpressApp, type ExpressStack } from './apps/express-app.js'
import { listenFirst } from './listen.js'
import { REQUEST_TIMEOUT_MS, stackScenarios, type RunningStack } from './scenarios.js'

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
})
afterAll(async () => {
  await emulator.close()
})

const verify = (_accessToken: string, _refreshToken: string, profile: FreedomIdProfile, done: (err: null, user: unknown) => void) =>
  done(null, { id: profile.id })

function strategyOptions(url: string): FreedomIdStrategyOptions {
  return {
    clientID: DEMO_CLIENT.clientID,
    clientSecret: DEMO_CLIENT.clientSecret,
    callbackURL: `${url}/auth/freedom-id/callback`,
    issuer: emulator.url,
  }
}

/** Starts one stack's app; `strategies` collects the strategies so their keep-alive agents can be closed. */
async function startStack(stack: ExpressStack, verifyFn: FreedomIdVerify = verify as FreedomIdVerify) {
  const listening = await listenFirst()
  const app = createExpressApp(stack, strategyOptions(listening.url), verifyFn, listening.url)
  listening.serve(app as unknown as RequestListener)
  const strategy = (stack.passport as unknown as { _strategy(name: string): FreedomIdStrategy })._strategy('freedom-id')
  return {
    url: listening.url,
    failureStatus: 302,
    close: async () => {
      await listening.close()
      await strategy._http.close()
    },
  } satisfies RunningStack
}

const frameworks: Array<[string, ExpressStack['express']]> = [
  ['Express 4', express4],
  ['Express 5', express5],
]
const passports: Array<[string, typeof passport07]> = [
  ['passport 0.6', passport06],
  ['passport 0.7', passport07],
]
const sessions: Array<ExpressStack['session']> = ['express-session', 'cookie-session']

describe.each(frameworks)('%s', (_framework, express) => {
  describe.each(passports)('%s', (_passport, passportModule) => {
    describe.each(sessions)('%s', (session) => {
      let app: RunningStack
      beforeAll(async () => {
        app = await startStack({ express, passport: new passportModule.Passport() as ExpressStack['passport'], session })
      })
      afterAll(async () => {
        await app.close()
      })
      stackScenarios(() => emulator, () => app)
    })
  })
})

describe('cookie-session without the README\'s shims, on passport 0.6 and 0.7', () => {
  const verifies: Array<[string, FreedomIdVerify]> = [
    ['an async verify', (async (_a: string, _r: string, profile: FreedomIdProfile) => ({ id: profile.id })) as FreedomIdVerify],
    ['a done-style verify', verify as FreedomIdVerify],
  ]
  describe.each(passports)('%s', (_passport, passportModule) => {
    it.each(verifies)('%s: the callback answers 500 naming the shims, with no crash and no hang', async (_name, verifyFn) => {
      const app = await startStack({ express: express5, passport: new passportModule.Passport() as ExpressStack['passport'], session: 'cookie-session', shims: false }, verifyFn)
      const errors: unknown[] = []
      const onRejection = (reason: unknown) => errors.push(reason)
      process.on('unhandledRejection', onRejection)
      try {
        const agent = request.agent(app.url)
        const start = await agent.get('/auth/freedom-id').timeout(REQUEST_TIMEOUT_MS).expect(302)
        const callback = await authorize(start.headers.location!)
        const res = await agent.get(`/auth/freedom-id/callback?${callback}`).timeout(REQUEST_TIMEOUT_MS)
        expect(res.status).toBe(500)
        expect(res.text).toMatch(/SESSION_LOGIN_FAILED|regenerate/)
        expect(res.text).toMatch(/cookie-session/)
        await new Promise((resolve) => setTimeout(resolve, 50))
        expect(errors).toEqual([])
      } finally {
        process.off('unhandledRejection', onRejection)
        await app.close()
      }
    })
  })
})
