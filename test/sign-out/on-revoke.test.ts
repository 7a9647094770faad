import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import express from 'express'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import passport from 'passport'
import { createClient } from 'redis'
import request from 'supertest'
import { DEFAULT_USERS } from '../../src/emulator/index.js'
import { cookieLoginState } from '../../src/sign-in/login-state/cookie-store.js'
import { createRevokeRouter, type RevokeRouterOptions } from '../../src/sign-out/revoke-router.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { RedisSessionIndex } from '../../src/sign-out/session-index/redis.js'
import type { SessionIndex } from '../../src/sign-out/session-index/types.js'
import { CookieBrowser } from '../helpers/cookie-browser.js'
import { withEmulator } from '../helpers/emulator.js'
import { appServers } from '../helpers/http-server.js'
import { authorize } from '../helpers/login.js'
import { describeWithRedis, startRedis, type RedisServer } from '../helpers/redis.js'
import { strategyMaker } from '../helpers/strategies.js'

/** Express 4, installed under an npm alias beside Express 5. */
const express4 = createRequire(import.meta.url)('express4') as typeof express

const [alice, bob] = [DEFAULT_USERS[0]!, DEFAULT_USERS[1]!]
const REVOKE = '/auth/freedom-id/revoke/s3cr3t'
const emulator = withEmulator()
const makeStrategy = strategyMaker(() => emulator().url)
const servers = appServers()
afterEach(() => servers.closeAll())
afterAll(() => makeStrategy.closeAll())
beforeEach(() => emulator().reset())

/** A router alone on a server, built by Express 5 or 4. */
async function revokeServer(options: RevokeRouterOptions, framework: typeof express = express) {
  const app = framework()
  app.use(REVOKE, createRevokeRouter(options))
  const server = await servers.listen(app)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('provider sign-out for an app without sessions', () => {
  /**
   * An app with no session middleware: the pending login in a cookie, the user in the app's own token (here the
   * response body), the revoke route calling onRevoke.
   */
  async function startApp() {
    const revoked: string[] = []
    const app = express()
    app.use(REVOKE, createRevokeRouter({ onRevoke: (tokenId) => void revoked.push(tokenId) }))
    const pp = new passport.Passport()
    app.use(pp.initialize())
    app.get('/auth/freedom-id', pp.authenticate('freedom-id', { session: false }))
    app.get('/auth/freedom-id/callback', pp.authenticate('freedom-id', { session: false }), (req, res) =>
      res.json({ user: req.user, tokenId: (req.authInfo as { tokenId?: string }).tokenId }),
    )
    const server = await servers.listen(app)
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    pp.use(
      makeStrategy({
        callbackURL: `${base}/auth/freedom-id/callback`,
        revokeURL: `${base}${REVOKE}`,
        loginState: cookieLoginState({ secret: 'a-cookie-secret-of-at-least-32-characters' }),
      }),
    )
    const signIn = async (sub: string) => {
      emulator().setAutoLogin(sub)
      const browser = new CookieBrowser()
      const start = await browser.get(`${base}/auth/freedom-id`)
      const done = await browser.get(`${base}/auth/freedom-id/callback?${await authorize(start.location!)}`)
      expect(done.status).toBe(200)
      return JSON.parse(done.body).tokenId as string
    }
    return { base, revoked, signIn }
  }

  it('onRevoke receives exactly the token ids of the provider sign-outs, each once', async () => {
    const { base, revoked, signIn } = await startApp()
    const aliceLaptop = await signIn(alice.sub)
    const alicePhone = await signIn(alice.sub)
    const bobs = await signIn(bob.sub)
    expect(new Set([aliceLaptop, alicePhone, bobs]).size).toBe(3)
    const deliveries = await emulator().logout({ sub: alice.sub })
    expect(deliveries.map((d) => [d.id, d.revokeURI, d.status]).sort()).toEqual(
      [aliceLaptop, alicePhone].sort().map((id) => [id, `${base}${REVOKE}`, 204]),
    )
    expect([...revoked].sort()).toEqual([aliceLaptop, alicePhone].sort())
    await emulator().logout({ tokenId: bobs })
    expect(revoked).toHaveLength(3)
    expect(revoked[2]).toBe(bobs)
  })

  it('the token id reaches the app at sign-in as params.id and info.tokenId alike', async () => {
    const seen: Array<string | undefined> = []
    const pp = new passport.Passport()
    const app = express()
    app.use(pp.initialize())
    app.get('/auth/freedom-id', pp.authenticate('freedom-id', { session: false }))
    app.get('/auth/freedom-id/callback', pp.authenticate('freedom-id', { session: false }), (req, res) =>
      res.json({ fromParams: req.user, fromInfo: (req.authInfo as { tokenId?: string }).tokenId }),
    )
    const server = await servers.listen(app)
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    pp.use(
      makeStrategy(
        { callbackURL: `${base}/auth/freedom-id/callback`, loginState: cookieLoginState({ secret: 'x'.repeat(32) }) },
        (_a: string, _r: string, params: { id?: string }, _p: unknown, done: (e: null, u: unknown) => void) => {
          seen.push(params.id)
          done(null, params.id)
        },
      ),
    )
    emulator().setAutoLogin(alice.sub)
    const browser = new CookieBrowser()
    const start = await browser.get(`${base}/auth/freedom-id`)
    const body = JSON.parse((await browser.get(`${base}/auth/freedom-id/callback?${await authorize(start.location!)}`)).body)
    expect(body.fromParams).toMatch(/^[0-9a-f-]{36}$/)
    expect(body.fromInfo).toBe(body.fromParams)
    expect(seen).toEqual([body.fromParams])
  })
})

describe('createRevokeRouter({ onRevoke })', () => {
  it.each([
    ['malformed JSON', '{"id":', 400, 'invalid_body'],
    ['no id', '{"token":"x"}', 400, 'missing_id'],
    ['a non-UUID id', '{"id":"../../etc/passwd"}', 400, 'invalid_id'],
  ])('%s is %s and onRevoke is not called', async (_name, body, status, error) => {
    const calls: string[] = []
    const base = await revokeServer({ onRevoke: (id) => void calls.push(id) })
    const res = await request(base).post(REVOKE).set('Content-Type', 'application/json').send(body)
    expect([res.status, res.body]).toEqual([status, { error }])
    expect(calls).toEqual([])
  })

  it('a GET is 405 and onRevoke is not called', async () => {
    const calls: string[] = []
    const base = await revokeServer({ onRevoke: (id) => void calls.push(id) })
    const res = await request(base).get(REVOKE)
    expect(res.status).toBe(405)
    expect(calls).toEqual([])
  })

  it('passes the id lowercase, answers 204, and waits for an async onRevoke before answering', async () => {
    const done: string[] = []
    const base = await revokeServer({
      onRevoke: async (id) => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        done.push(id)
      },
    })
    const id = randomUUID()
    const res = await request(base).post(REVOKE).send({ id: id.toUpperCase() })
    expect(res.status).toBe(204)
    expect(done).toEqual([id])
  })

  it.each([
    ['throws', () => { throw new Error('deny-list down') }],
    ['rejects', async () => Promise.reject(new Error('deny-list down'))],
  ])('an onRevoke that %s is 503, and the provider retry reaches it again', async (_name, broken) => {
    const calls: string[] = []
    let failing = true
    const base = await revokeServer({
      onRevoke: (id) => {
        calls.push(id)
        if (failing) return (broken as (id: string) => void | Promise<void>)(id)
      },
    })
    const id = randomUUID()
    const first = await request(base).post(REVOKE).send({ id })
    expect([first.status, first.body]).toEqual([503, { error: 'store_unavailable' }])
    expect(first.headers['cache-control']).toBe('no-store')
    failing = false
    expect((await request(base).post(REVOKE).send({ id })).status).toBe(204)
    expect(calls).toEqual([id, id])
  })

  it('mounts on Express 4 too', async () => {
    const calls: string[] = []
    const base = await revokeServer({ onRevoke: (id) => void calls.push(id) }, express4)
    const id = randomUUID()
    expect((await request(base).post(REVOKE).send({ id })).status).toBe(204)
    expect(calls).toEqual([id])
  })

  it.each<[string, unknown, RegExp]>([
    ['neither sessionIndex nor onRevoke', {}, /sessionIndex option, an onRevoke option, or both/],
    ['onRevoke not a function', { onRevoke: 'deny' }, /"onRevoke" option must be a function/],
    ['sessionStore without a sessionIndex', { onRevoke: () => undefined, sessionStore: { destroy: () => undefined } }, /"sessionStore" option needs a sessionIndex/],
    ['a sessionIndex without revoke()', { sessionIndex: {}, onRevoke: () => undefined }, /"sessionIndex" option/],
    ['a null sessionIndex', { sessionIndex: null, onRevoke: () => undefined }, /"sessionIndex" option/],
  ])('%s is a TypeError', (_name, options, message) => {
    expect(() => createRevokeRouter(options as RevokeRouterOptions)).toThrow(TypeError)
    expect(() => createRevokeRouter(options as RevokeRouterOptions)).toThrow(message)
  })
})

describe('createRevokeRouter({ onRevoke, rateLimit })', () => {
  const rateLimit = { max: 2, windowMs: 60_000 }

  it('without a sessionIndex, ids onRevoke answers false for count toward rateLimit: the third is 429', async () => {
    const base = await revokeServer({ onRevoke: () => false, rateLimit })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await request(base).post(REVOKE).send({ id: randomUUID() })).status)
    expect(statuses).toEqual([204, 204, 429])
  })

  it.each([
    ['undefined', () => undefined],
    ['true', () => true],
  ])('without a sessionIndex, ids onRevoke answers %s for are never counted', async (_name, onRevoke) => {
    const base = await revokeServer({ onRevoke, rateLimit })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await request(base).post(REVOKE).send({ id: randomUUID() })).status)
    expect(statuses).toEqual([204, 204, 204, 204])
  })

  it('with a sessionIndex, a bound id is never counted even when onRevoke answers false', async () => {
    const sessionIndex = new MemorySessionIndex()
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
    for (const id of ids) await sessionIndex.bind(id, `sid-${id}`)
    const base = await revokeServer({ sessionIndex, onRevoke: () => false, rateLimit })
    const statuses = []
    for (const id of ids) statuses.push((await request(base).post(REVOKE).send({ id })).status)
    expect(statuses).toEqual([204, 204, 204, 204])
    expect(await Promise.all(ids.map((id) => sessionIndex.isRevoked(id)))).toEqual([true, true, true, true])
  })

  it('with a sessionStore, a bound id whose sessions are destroyed is never counted', async () => {
    const sessionIndex = new MemorySessionIndex()
    const destroyed: string[] = []
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
    for (const id of ids) await sessionIndex.bind(id, `sid-${id}`)
    const base = await revokeServer({ sessionIndex, sessionStore: { destroy: (sid, cb) => (destroyed.push(sid), cb()) }, rateLimit })
    const statuses = []
    for (const id of ids) statuses.push((await request(base).post(REVOKE).send({ id })).status)
    expect(statuses).toEqual([204, 204, 204, 204])
    expect(destroyed).toEqual(ids.map((id) => `sid-${id}`))
  })
})

/** With a session index as well: its sessions end and onRevoke is called; a failing onRevoke loses nothing. */
function withIndex(kind: string, makeIndex: () => SessionIndex) {
  it(`${kind}: revokes in the index and calls onRevoke; when onRevoke fails, 503 and the retry calls it again`, async () => {
    const index = makeIndex()
    const destroyed: string[] = []
    const calls: string[] = []
    let failing = true
    const base = await revokeServer({
      sessionIndex: index,
      sessionStore: { destroy: (sid, cb) => (destroyed.push(sid), cb()) },
      onRevoke: (id) => {
        calls.push(id)
        if (failing) throw new Error('down')
      },
    })
    const id = randomUUID()
    await index.bind(id, 'sid-1')
    expect((await request(base).post(REVOKE).send({ id })).status).toBe(503)
    expect(destroyed).toEqual(['sid-1'])
    expect(await index.isRevoked(id)).toBe(true)
    failing = false
    expect((await request(base).post(REVOKE).send({ id })).status).toBe(204)
    expect(calls).toEqual([id, id])
  })
}

describe('onRevoke beside a session index', () => {
  withIndex('MemorySessionIndex', () => new MemorySessionIndex())
})

describeWithRedis('onRevoke beside a RedisSessionIndex', () => {
  let redis: RedisServer
  let client: ReturnType<typeof createClient>
  beforeAll(async () => {
    redis = await startRedis()
    client = createClient({ url: redis.url })
    await client.connect()
  })
  afterAll(async () => {
    await client.quit()
    await redis.stop()
  })
  withIndex('RedisSessionIndex', () => new RedisSessionIndex({ client }))
})
