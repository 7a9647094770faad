import 'reflect-metadata'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { Controller, Get, Injectable, Module, Req, UnauthorizedException, UseGuards, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport'
import { jwtVerify, SignJWT } from 'jose'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { DEFAULT_USERS, DEMO_CLIENT } from '../../src/emulator/index.js'
import { cookieLoginState, createRevokeRouter, FreedomIdStrategy, type FreedomIdProfile } from '../../src/index.js'
import { CookieBrowser } from '../helpers/cookie-browser.js'
import { withEmulator } from '../helpers/emulator.js'
import { authorize } from '../helpers/login.js'

/**
 * A NestJS API that keeps no session, as Nest's docs show it: `AuthGuard('freedom-id')` (Nest's guards authenticate
 * with `session: false`) on the login and callback routes, the callback issuing the API's own JWT with the Freedom ID
 * token id in it, a guard that checks that JWT, and the revoke route denying the token ids Freedom ID signs out.
 * Written without decorator syntax (this repository compiles with standard TypeScript settings), by applying Nest's
 * decorators as functions.
 */

const JWT_KEY = new TextEncoder().encode('the-api-jwt-signing-key-for-this-test-only')
const REVOKE = '/auth/freedom-id/revoke/s3cr3t'
const [alice, bob] = [DEFAULT_USERS[0]!, DEFAULT_USERS[1]!]
const emulator = withEmulator()
const denied = new Set<string>()
let app: INestApplication
let base: string
let strategy: FreedomIdStrategy

function method(target: object, name: string, decorators: MethodDecorator[]) {
  const descriptor = Object.getOwnPropertyDescriptor(target, name)!
  Object.defineProperty(target, name, Reflect.decorate(decorators, target, name, descriptor) as PropertyDescriptor)
}

class JwtGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>()
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (!token) throw new UnauthorizedException()
    try {
      const { payload } = await jwtVerify(token, JWT_KEY, { algorithms: ['HS256'] })
      if (typeof payload.tid === 'string' && denied.has(payload.tid)) throw new Error('signed out at Freedom ID')
      req.user = { id: payload.sub }
    } catch {
      throw new UnauthorizedException()
    }
    return true
  }
}

class AuthController {
  login(): void {}
  async callback(req: { user: { id: string }; authInfo: { tokenId?: string } }) {
    const jwt = new SignJWT({ tid: req.authInfo.tokenId }).setProtectedHeader({ alg: 'HS256' }).setSubject(req.user.id)
    return { token: await jwt.setIssuedAt().setExpirationTime('1h').sign(JWT_KEY) }
  }
  me(req: { user: unknown }) {
    return req.user
  }
}
Controller('auth')(AuthController)
method(AuthController.prototype, 'login', [Get('freedom-id'), UseGuards(AuthGuard('freedom-id'))])
method(AuthController.prototype, 'callback', [Get('freedom-id/callback'), UseGuards(AuthGuard('freedom-id'))])
method(AuthController.prototype, 'me', [Get('me'), UseGuards(JwtGuard)])
Req()(AuthController.prototype, 'callback', 0)
Req()(AuthController.prototype, 'me', 0)

beforeAll(async () => {
  // The callback URL needs the port, so the strategy is made once Nest listens; Nest resolves it as a provider.
  let callbackURL = ''
  class FreedomIdNestStrategy extends PassportStrategy(FreedomIdStrategy, 'freedom-id') {
    constructor() {
      super({
        clientID: DEMO_CLIENT.clientID,
        clientSecret: DEMO_CLIENT.clientSecret,
        callbackURL,
        issuer: emulator().url,
        revokeURL: callbackURL.replace('/auth/freedom-id/callback', REVOKE),
        loginState: cookieLoginState({ secret: 'a-cookie-secret-of-at-least-32-characters' }),
      })
      strategy = this as unknown as FreedomIdStrategy
    }
    validate(_accessToken: string, _refreshToken: string, profile: FreedomIdProfile) {
      return { id: profile.id }
    }
  }
  Injectable()(FreedomIdNestStrategy)
  class AppModule {}
  Module({ imports: [PassportModule], controllers: [AuthController], providers: [FreedomIdNestStrategy] })(AppModule)

  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  base = `http://127.0.0.1:${port}`
  callbackURL = `${base}/auth/freedom-id/callback`
  app = await NestFactory.create(AppModule, { logger: false })
  app.use(REVOKE, createRevokeRouter({ onRevoke: (tokenId) => void denied.add(tokenId) }))
  await app.listen(port, '127.0.0.1')
})

afterAll(async () => {
  await strategy?._http.close()
  await app?.close()
})

async function signIn(sub: string): Promise<string> {
  emulator().setAutoLogin(sub)
  const browser = new CookieBrowser()
  const start = await browser.get(`${base}/auth/freedom-id`)
  expect(start.status).toBe(302)
  expect(start.setCookies.map((c) => c.name)).toEqual([expect.stringMatching(/^freedom-id\.login\./)])
  const done = await browser.get(`${base}/auth/freedom-id/callback?${await authorize(start.location!)}`)
  expect(done.status).toBe(200)
  expect(done.setCookies).toEqual([expect.objectContaining({ maxAge: 0 })])
  return JSON.parse(done.body).token as string
}

async function me(token: string) {
  const res = await request(`${base}/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, body: await res.body.text() }
}

describe('NestJS with a JWT issued in the callback and no session', () => {
  it('signs in through AuthGuard, and the JWT names the user', async () => {
    const token = await signIn(alice.sub)
    const answer = await me(token)
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ id: alice.sub })
  })

  it("a provider sign-out denies that login's JWT and leaves another user's alone", async () => {
    const alices = await signIn(alice.sub)
    const bobs = await signIn(bob.sub)
    const deliveries = await emulator().logout({ sub: alice.sub })
    expect(deliveries.every((d) => d.status === 204)).toBe(true)
    expect((await me(alices)).status).toBe(401)
    expect((await me(bobs)).status).toBe(200)
  })

  it('a callback without its login cookie is refused with 401', async () => {
    emulator().setAutoLogin(alice.sub)
    const start = await new CookieBrowser().get(`${base}/auth/freedom-id`)
    const res = await new CookieBrowser().get(`${base}/auth/freedom-id/callback?${await authorize(start.location!)}`)
    expect(res.status).toBe(401)
  })
})
