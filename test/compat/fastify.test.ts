import { afterAll, beforeAll, describe } from '@jest/globals'
import { Authenticator } from '@fastify/passport'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import type { FreedomIdProfile, FreedomIdStrategy, FreedomIdVerify } from '../../src/index.js'
import { createFastifyApp } from './apps/fastify-app.js'
import { stackScenarios, type RunningStack } from './scenarios.js'

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
})
afterAll(async () => {
  await emulator.close()
})

const verify = (async (_accessToken: string, _refreshToken: string, profile: FreedomIdProfile) => ({ id: profile.id })) as FreedomIdVerify

describe.each(['@fastify/secure-session', '@fastify/session'] as const)('Fastify 5, @fastify/passport, %s', (sessionPlugin) => {
  let app: RunningStack
  beforeAll(async () => {
    // Fastify listens only once its routes are in place, so the app's URL comes from a port reserved first.
    const { port, release } = await reservePort()
    const url = `http://127.0.0.1:${port}`
    const fastifyPassport = new Authenticator()
    const options = { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, callbackURL: `${url}/auth/freedom-id/callback`, issuer: emulator.url }
    const fastify = await createFastifyApp(fastifyPassport, sessionPlugin, options, verify, url)
    await release()
    await fastify.listen({ port, host: '127.0.0.1' })
    const strategy = (fastifyPassport as unknown as { strategy(name: string): FreedomIdStrategy }).strategy('freedom-id')
    app = {
      url,
      failureStatus: 302,
      close: async () => {
        await fastify.close()
        await strategy._http.close()
      },
    }
  })
  afterAll(async () => {
    await app.close()
  })
  stackScenarios(() => emulator, () => app)
})

async function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
