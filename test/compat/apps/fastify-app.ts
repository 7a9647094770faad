import fastifyCookie from '@fastify/cookie'
import type fastifyPassportDefault from '@fastify/passport'
import fastifySecureSession from '@fastify/secure-session'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import {
  createRevokeGuard,
  createRevokeRouter,
  FreedomIdStrategy,
  MemorySessionIndex,
  type FreedomIdStrategyOptions,
  type FreedomIdVerify,
} from '../../../src/index.js'

/** `new Authenticator()` of @fastify/passport; the README uses the module's default instance. */
type FastifyPassport = InstanceType<typeof fastifyPassportDefault.Authenticator>

/** The app under test: the README's Fastify section, with either session plugin, plus a profile route. */
export async function createFastifyApp(
  fastifyPassport: FastifyPassport,
  sessionPlugin: '@fastify/secure-session' | '@fastify/session',
  options: FreedomIdStrategyOptions,
  verify: FreedomIdVerify,
  appURL: string,
) {
  const sessionKey = Buffer.alloc(32, 'compat-suite-key') // 32 random bytes in production, from your secret store
  const sessionSecret = 'compat-suite-session-secret-of-32-chars-or-more'
  const app = Fastify()
  if (sessionPlugin === '@fastify/secure-session') {
    // #region README fastify secure-session
    await app.register(fastifySecureSession, { key: sessionKey, cookie: { path: '/', httpOnly: true, sameSite: 'lax' } })
    // #endregion
  } else {
    // #region README fastify session
    await app.register(fastifyCookie)
    await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax' } })
    // #endregion
  }
  // #region README fastify
  const sessionIndex = new MemorySessionIndex()
  const revoke = createRevokeRouter({ sessionIndex }) // no session store: the guard ends the session
  const revokeGuard = createRevokeGuard({ sessionIndex })
  fastifyPassport.use(new FreedomIdStrategy({ ...options, revokeURL: `${appURL}/auth/freedom-id/revoke`, sessionIndex }, verify))
  fastifyPassport.registerUserSerializer(async (user: Express.User) => user)
  fastifyPassport.registerUserDeserializer(async (user: Express.User) => user)

  await app.register(fastifyPassport.initialize())
  await app.register(fastifyPassport.secureSession()) // works with @fastify/session as well
  app.addHook('preHandler', (request, reply, done) => revokeGuard(request as never, reply.raw, (err) => done(err as Error)))

  app.post('/auth/freedom-id/revoke', (request, reply) => {
    reply.hijack()
    revoke(Object.assign(request.raw, { body: request.body }), reply.raw)
  })
  app.get('/auth/freedom-id', { preValidation: fastifyPassport.authenticate('freedom-id') }, async () => undefined)
  app.get('/auth/freedom-id/callback',
    { preValidation: fastifyPassport.authenticate('freedom-id', { failureRedirect: '/login' }) },
    async (request, reply) => reply.redirect('/profile'))
  app.post('/logout', async (request, reply) => {
    await request.logout()
    return reply.redirect('/')
  })
  // #endregion
  app.get('/profile', async (request, reply) => request.user ?? reply.code(401).send({ signedIn: false }))
  return app
}
