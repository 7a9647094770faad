import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { Authenticator } from '@fastify/passport'
import secureSession from '@fastify/secure-session'
import Fastify, { type FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { DEFAULT_USERS } from '../../src/emulator/index.js'
import { cookieLoginState, type FreedomIdStrategy } from '../../src/index.js'
import { CookieBrowser } from '../helpers/cookie-browser.js'
import { withEmulator } from '../helpers/emulator.js'
import { authorize } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

/**
 * Fastify with @fastify/passport, logging in with `session: false`. @fastify/passport cannot be registered without a
 * session decorator (its flash plugin requires one), so the app registers @fastify/secure-session, which keeps no
 * server state; the pending login still lives in the cookie store's own cookie. The adapter hands strategies
 * Fastify's request, which has no reference to the reply, so the cookie store cannot set its cookie unless the app
 * exposes the reply as `request.res`.
 */

const alice = DEFAULT_USERS[0]!
const emulator = withEmulator({ autoLogin: alice.sub })
const makeStrategy = strategyMaker(() => emulator().url)
const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})
afterAll(() => makeStrategy.closeAll())

async function startApp(bridge: boolean) {
  const app = Fastify()
  apps.push(app)
  const fastifyPassport = new Authenticator()
  if (bridge) {
    app.decorateRequest('res', null)
    app.addHook('onRequest', async (request, reply) => {
      ;(request as unknown as { res: unknown }).res = reply
    })
  }
  await app.register(secureSession, { key: randomBytes(32), cookie: { path: '/' } })
  await app.register(fastifyPassport.initialize())
  app.get('/auth/freedom-id', { preValidation: fastifyPassport.authenticate('freedom-id', { session: false }) }, async () => 'unreachable')
  app.get(
    '/auth/freedom-id/callback',
    { preValidation: fastifyPassport.authenticate('freedom-id', { session: false }) },
    async (request) => ({ user: request.user, tokenId: (request as unknown as { authInfo?: { tokenId?: string } }).authInfo?.tokenId }),
  )
  app.setErrorHandler((err, _request, reply) => {
    void reply.status(500).send({ message: (err as Error).message })
  })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const strategy: FreedomIdStrategy = makeStrategy({
    callbackURL: `${base}/auth/freedom-id/callback`,
    loginState: cookieLoginState({ secret: 'a-cookie-secret-of-at-least-32-characters' }),
  })
  fastifyPassport.use('freedom-id', strategy as never)
  return base
}

describe('Fastify with @fastify/passport and the cookie store', () => {
  it('signs in with session: false once the app exposes the reply as request.res', async () => {
    const base = await startApp(true)
    const browser = new CookieBrowser()
    const start = await browser.get(`${base}/auth/freedom-id`)
    expect(start.status).toBe(302)
    expect(start.setCookies[0]).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/auth/freedom-id/callback', maxAge: 600 })
    const done = await browser.get(`${base}/auth/freedom-id/callback?${await authorize(start.location!)}`)
    expect(done.status).toBe(200)
    expect(JSON.parse(done.body)).toMatchObject({ user: { id: alice.sub }, tokenId: expect.any(String) })
    expect([...browser.jar.keys()].filter((n) => n.startsWith('freedom-id.login.'))).toEqual([])
  })

  it('without that, the login errors saying why and what to do', async () => {
    const base = await startApp(false)
    const res = await new CookieBrowser().get(`${base}/auth/freedom-id`)
    expect(res.status).toBe(500)
    expect(JSON.parse(res.body).message).toMatch(/@fastify\/passport hands strategies the Fastify request.*request\.res = reply/)
  })
})
