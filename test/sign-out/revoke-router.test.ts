import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from '@jest/globals'
import express, { type Express } from 'express'
import session from 'express-session'
import request from 'supertest'
import { createRevokeRouter, REVOKE_BODY_LIMIT, type RevokeRouterOptions } from '../../src/sign-out/revoke-router.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import type { SessionIndex } from '../../src/sign-out/session-index/types.js'
import { appServers } from '../helpers/http-server.js'

/** Express 4, installed under an npm alias beside Express 5. */
const express4 = createRequire(import.meta.url)('express4') as typeof express

const TOKEN = '01953bd1-a6d3-739e-8aa3-83e881f09055'
const PATH = '/auth/freedom-id/revoke/s3cr3t'

const NOT_UTF8 = Buffer.concat([Buffer.from(`{"id":"${TOKEN}","x":"`), Buffer.from([0xff]), Buffer.from('"}')])
const OVERSIZED = JSON.stringify({ id: TOKEN, pad: 'x'.repeat(REVOKE_BODY_LIMIT) })

const servers = appServers()
afterEach(() => servers.closeAll())
const listen = (app: Express): Promise<Server> => servers.listen(app)

/** A server with only the revoke router mounted. */
async function revokeServer(options: Partial<RevokeRouterOptions> = {}, configure?: (app: Express) => void) {
  const sessionIndex = options.sessionIndex ?? new MemorySessionIndex()
  const app = express()
  configure?.(app)
  app.use(PATH, createRevokeRouter({ ...options, sessionIndex }))
  return { server: await listen(app), sessionIndex }
}

/** A POST with exactly these bytes and headers (supertest would add a Content-Type). */
function rawPost(server: Server, body: Buffer | string, headers: Record<string, string> = {}) {
  const { port } = server.address() as AddressInfo
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('createRevokeRouter', () => {
  test.each([
    ['malformed JSON', 400, 'invalid_body', 'application/json', '{"id":'],
    ['a JSON array', 400, 'invalid_body', 'application/json', `["${TOKEN}"]`],
    ['a JSON string', 400, 'invalid_body', 'application/json', `"${TOKEN}"`],
    ['an empty body', 400, 'invalid_body', 'application/json', ''],
    ['a body that is not UTF-8', 400, 'invalid_body', 'application/json', NOT_UTF8],
    ['no id', 400, 'missing_id', 'application/json', '{"token":"x"}'],
    ['an empty id', 400, 'missing_id', 'application/json', '{"id":""}'],
    ['a null id', 400, 'missing_id', 'application/json', '{"id":null}'],
    ['a non-UUID id', 400, 'invalid_id', 'application/json', '{"id":"../../etc/passwd"}'],
    ['a numeric id', 400, 'invalid_id', 'application/json', '{"id":42}'],
    ['a UUID with a suffix', 400, 'invalid_id', 'application/json', `{"id":"${TOKEN}x"}`],
    ['an id array', 400, 'invalid_id', 'application/json', `{"id":["${TOKEN}"]}`],
    ['a form without id', 400, 'missing_id', 'application/x-www-form-urlencoded', 'token=x'],
    ['a form with two ids', 400, 'invalid_id', 'application/x-www-form-urlencoded', `id=${TOKEN}&id=${TOKEN}`],
    ['a form with a non-UUID id', 400, 'invalid_id', 'application/x-www-form-urlencoded', 'id=abc'],
    ['a body over 4 KiB', 413, 'body_too_large', 'application/json', OVERSIZED],
  ])('a POST with %s answers %i %s', async (_name, status, code, type, body) => {
    const { server } = await revokeServer()
    const res = await rawPost(server, body, { 'content-type': type })
    expect(res.status).toBe(status)
    expect(JSON.parse(res.body)).toEqual({ error: code })
    expect(res.headers['cache-control']).toBe('no-store')
  })

  test('a chunked body over 4 KiB without Content-Length answers 413', async () => {
    const { server } = await revokeServer()
    const { port } = server.address() as AddressInfo
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: PATH, method: 'POST' }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1000))
      req.end()
    })
    expect(status).toBe(413)
  })

  test('a body far over the cap answers 413 and closes the connection', async () => {
    const { server } = await revokeServer()
    const res = await rawPost(server, '', { 'content-type': 'application/json', 'content-length': '10000000' })
    expect(res.status).toBe(413)
    expect(res.headers.connection).toBe('close')
  })

  test('a gzip-encoded body answers 415', async () => {
    const { server } = await revokeServer()
    const res = await rawPost(server, `{"id":"${TOKEN}"}`, { 'content-encoding': 'gzip' })
    expect(res.status).toBe(415)
    expect(JSON.parse(res.body)).toEqual({ error: 'unsupported_encoding' })
  })

  test.each(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s answers 405 with Allow: POST', async (method) => {
    const { server } = await revokeServer()
    const res = await request(server)[method.toLowerCase() as 'get'](PATH)
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('POST')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toEqual({ error: 'method_not_allowed' })
  })

  test('a well-formed id answers 204 whether known or not, and on repeats', async () => {
    const { server, sessionIndex } = await revokeServer()
    await sessionIndex.bind(TOKEN, 'sid-a')
    for (const id of [TOKEN, TOKEN, randomUUID()]) {
      const res = await request(server).post(PATH).send({ id })
      expect(res.status).toBe(204)
      expect(res.text).toBe('')
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['set-cookie']).toBeUndefined()
      expect(res.headers.location).toBeUndefined()
    }
    expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
  })

  test('an upper-case id revokes the lower-case binding', async () => {
    const { server, sessionIndex } = await revokeServer()
    await sessionIndex.bind(TOKEN, 'sid-a')
    await request(server).post(PATH).send({ id: TOKEN.toUpperCase() }).expect(204)
    expect(await sessionIndex.revoke(TOKEN)).toEqual([])
  })

  test.each([
    ['a form body', `id=${TOKEN}`, { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a JSON body without Content-Type', `{"id":"${TOKEN}"}`, {}],
    ['a JSON body typed text/plain', `{"id":"${TOKEN}"}`, { 'content-type': 'text/plain;charset=UTF-8' }],
    ['a JSON body with a charset', `{"id":"${TOKEN}"}`, { 'content-type': 'application/json; charset=utf-8' }],
  ])('%s revokes the id', async (_name, body, headers) => {
    const { server, sessionIndex } = await revokeServer()
    await sessionIndex.bind(TOKEN, 'sid-a')
    const res = await rawPost(server, body, headers)
    expect(res.status).toBe(204)
    expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
  })

  test('a body already parsed by express.json or express.urlencoded in front is used', async () => {
    const { server, sessionIndex } = await revokeServer({}, (app) => {
      app.use(express.json())
      app.use(express.urlencoded())
    })
    const other = randomUUID()
    await sessionIndex.bind(TOKEN, 'sid-a')
    await sessionIndex.bind(other, 'sid-b')
    await request(server).post(PATH).send({ id: TOKEN }).expect(204)
    expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
    await request(server).post(PATH).type('form').send(`id=${other}`).expect(204)
    expect(await sessionIndex.isRevoked(other)).toBe(true)
    const bad = await request(server).post(PATH).send({ id: 'nope' })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ error: 'invalid_id' })
  })

  describe('allowFrom', () => {
    test('a source outside the list answers 403 and revokes nothing', async () => {
      const { server, sessionIndex } = await revokeServer({ allowFrom: ['203.0.113.7'] })
      await sessionIndex.bind(TOKEN, 'sid-a')
      const res = await request(server).post(PATH).send({ id: TOKEN })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ error: 'forbidden' })
      expect(await sessionIndex.isRevoked(TOKEN)).toBe(false)
    })

    test.each(['127.0.0.1', '::ffff:127.0.0.1', '127.0.0.0/8'])('a source listed as %s is allowed', async (entry) => {
      const { server } = await revokeServer({ allowFrom: ['203.0.113.7', entry] })
      await request(server).post(PATH).send({ id: TOKEN }).expect(204)
    })

    test('X-Forwarded-For counts only when Express trusts the proxy', async () => {
      const trusted = await revokeServer({ allowFrom: ['203.0.113.7'] }, (app) => app.set('trust proxy', 'loopback'))
      await request(trusted.server).post(PATH).set('X-Forwarded-For', '203.0.113.7').send({ id: TOKEN }).expect(204)
      const untrusted = await revokeServer({ allowFrom: ['203.0.113.7'] })
      await request(untrusted.server).post(PATH).set('X-Forwarded-For', '203.0.113.7').send({ id: TOKEN }).expect(403)
    })
  })

  describe('rateLimit', () => {
    const trustLoopbackProxy = (app: Express) => app.set('trust proxy', 'loopback')
    const from = (server: Server, ip: string) => request(server).post(PATH).set('X-Forwarded-For', ip)

    test('beyond rateLimit.max junk POSTs of one source per window it answers 429 with Retry-After', async () => {
      const { server } = await revokeServer({ rateLimit: { max: 2, windowMs: 60_000 } })
      await request(server).post(PATH).send({ id: randomUUID() }).expect(204)
      await request(server).post(PATH).send({ id: 'junk' }).expect(400)
      const res = await request(server).post(PATH).send({ id: randomUUID() })
      expect(res.status).toBe(429)
      expect(res.body).toEqual({ error: 'rate_limited' })
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60)
      expect((await request(server).get(PATH)).status).toBe(429)
    })

    test.each([
      ['a gzip-encoded body', 415, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, `{"id":"${TOKEN}"}`],
      ['malformed JSON', 400, { 'content-type': 'application/json' }, '{"id":'],
      ['a body over 4 KiB', 413, { 'content-type': 'application/json' }, OVERSIZED],
    ])('%s counts toward rateLimit: beyond max it is 429', async (_name, status, headers, body) => {
      const { server } = await revokeServer({ rateLimit: { max: 1, windowMs: 60_000 } })
      expect((await rawPost(server, body, headers)).status).toBe(status)
      expect((await rawPost(server, body, headers)).status).toBe(429)
    })

    test('sources count apart, and an IPv6 source per /64', async () => {
      const { server } = await revokeServer({ rateLimit: { max: 1, windowMs: 60_000 } }, trustLoopbackProxy)
      await from(server, '203.0.113.9').send({ id: randomUUID() }).expect(204)
      await from(server, '203.0.113.9').send({ id: randomUUID() }).expect(429)
      await from(server, '198.51.100.4').send({ id: randomUUID() }).expect(204)
      await from(server, '2001:db8:1:2::1').send({ id: randomUUID() }).expect(204)
      await from(server, '2001:db8:1:2:ffff::7').send({ id: randomUUID() }).expect(429)
      await from(server, '2001:db8:1:3::1').send({ id: randomUUID() }).expect(204)
    })

    test("100 junk POSTs do not block the provider's revoke of a bound id, nor are bound revokes counted", async () => {
      const { server, sessionIndex } = await revokeServer({ rateLimit: { max: 10, windowMs: 60_000 } })
      await sessionIndex.bind(TOKEN, 'sid-a')
      const junk = await Promise.all(Array.from({ length: 100 }, () => request(server).post(PATH).send({ id: randomUUID() })))
      expect(junk.filter((r) => r.status === 429)).toHaveLength(90)
      await request(server).post(PATH).send({ id: TOKEN }).expect(204)
      expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
      await request(server).post(PATH).send({ id: TOKEN }).expect(204)
    })
  })

  test('a body slower than bodyTimeout answers 408 and the connection is closed', async () => {
    const { server, sessionIndex } = await revokeServer({ bodyTimeout: 300 })
    await sessionIndex.bind(TOKEN, 'sid-a')
    const { port } = server.address() as AddressInfo
    const socket = connect(port, '127.0.0.1')
    const started = Date.now()
    socket.write(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"id":`)
    let reply = ''
    socket.on('data', (d: Buffer) => (reply += d.toString()))
    const closed = await Promise.race([
      once(socket, 'close').then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 3000)),
    ])
    socket.destroy()
    expect(closed).toBe(true)
    expect(Date.now() - started).toBeLessThan(2000)
    expect(reply).toMatch(/^HTTP\/1.1 408 /)
    expect(reply).toContain('"error":"request_timeout"')
    expect(await sessionIndex.isRevoked(TOKEN)).toBe(false)
  })

  test('bodyTimeout defaults to 5 seconds, not Node\'s 300 s requestTimeout', async () => {
    const { server } = await revokeServer()
    const { port } = server.address() as AddressInfo
    const socket = connect(port, '127.0.0.1')
    socket.write(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n{`)
    let reply = ''
    socket.on('data', (d: Buffer) => (reply += d.toString()))
    const started = Date.now()
    await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 8000))])
    socket.destroy()
    expect(reply).toMatch(/^HTTP\/1.1 408 /)
    expect(Date.now() - started).toBeGreaterThan(4000)
  }, 15_000)

  describe('store failures', () => {
    test('a failing session index answers 503', async () => {
      const failing: SessionIndex = {
        ttl: 60,
        bind: async () => undefined,
        unbind: async () => undefined,
        revoke: async () => Promise.reject(new Error('ECONNREFUSED')),
        isRevoked: async () => false,
        tokenIdOf: async () => undefined,
      }
      const { server } = await revokeServer({ sessionIndex: failing })
      const res = await request(server).post(PATH).send({ id: TOKEN })
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ error: 'store_unavailable' })
      expect(res.headers['cache-control']).toBe('no-store')
    })

    test.each([
      ['calls back with an error', (_sid: string, cb: (err?: unknown) => void) => cb(new Error('down'))],
      [
        'throws',
        () => {
          throw new Error('down')
        },
      ],
    ])('a session store that %s answers 503, and the retry destroys the sessions', async (_name, destroy) => {
      const destroyed: string[] = []
      const store = { destroy, ok: false }
      const sessionStore = {
        destroy(sid: string, cb: (err?: unknown) => void) {
          if (!store.ok) return store.destroy(sid, cb)
          destroyed.push(sid)
          cb()
        },
      }
      const { server, sessionIndex } = await revokeServer({ sessionStore })
      await sessionIndex.bind(TOKEN, 'sid-a')
      const res = await request(server).post(PATH).send({ id: TOKEN })
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ error: 'store_unavailable' })
      expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
      store.ok = true
      await request(server).post(PATH).send({ id: TOKEN }).expect(204)
      expect(destroyed).toEqual(['sid-a'])
    })
  })

  describe('with express-session', () => {
    /** An app whose /login/:token creates a session and binds it, as the strategy will. */
    async function sessionApp() {
      const store = new session.MemoryStore()
      const sessionIndex = new MemorySessionIndex({ maxEntries: 100 })
      const app = express()
      app.use(PATH, createRevokeRouter({ sessionIndex, sessionStore: store }))
      app.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store }))
      app.get('/login/:token', async (req, res) => {
        ;(req.session as unknown as Record<string, unknown>).user = req.params.token
        await sessionIndex.bind(req.params.token, req.sessionID)
        res.json({ sid: req.sessionID })
      })
      app.get('/me', (req, res) => {
        res.json({ user: (req.session as unknown as Record<string, unknown>).user ?? null })
      })
      const server = await listen(app)
      const has = (sid: string) =>
        new Promise<boolean>((resolve, reject) => store.get(sid, (err, s) => (err ? reject(err) : resolve(!!s))))
      return { server, has, sessionIndex }
    }

    test('revoke destroys the bound sessions and leaves another user’s session alone', async () => {
      const { server, has } = await sessionApp()
      const alice = request.agent(server)
      const aliceLaptop = request.agent(server)
      const bob = request.agent(server)
      const bobToken = randomUUID()
      const a1 = (await alice.get(`/login/${TOKEN}`).expect(200)).body.sid as string
      const a2 = (await aliceLaptop.get(`/login/${TOKEN}`).expect(200)).body.sid as string
      const b = (await bob.get(`/login/${bobToken}`).expect(200)).body.sid as string
      expect(await has(a1)).toBe(true)
      expect(await has(a2)).toBe(true)

      const res = await request(server).post(PATH).send({ id: TOKEN })
      expect(res.status).toBe(204)
      expect(res.headers['set-cookie']).toBeUndefined()

      expect(await has(a1)).toBe(false)
      expect(await has(a2)).toBe(false)
      expect(await has(b)).toBe(true)
      expect((await alice.get('/me')).body).toEqual({ user: null })
      expect((await bob.get('/me')).body).toEqual({ user: bobToken })
    })

    test('a burst of 1,000 revokes of random ids leaves the bound sessions intact', async () => {
      const { server, has, sessionIndex } = await sessionApp()
      const sid = (await request.agent(server).get(`/login/${TOKEN}`).expect(200)).body.sid as string
      const statuses: number[] = []
      for (let batch = 0; batch < 20; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 50 }, () => request(server).post(PATH).send({ id: randomUUID() })),
        )
        statuses.push(...replies.map((r) => r.status))
      }
      expect(statuses).toHaveLength(1000)
      expect(statuses.every((s) => s === 204)).toBe(true)
      expect(await has(sid)).toBe(true)
      expect(await sessionIndex.isRevoked(TOKEN)).toBe(false)
      expect(await sessionIndex.tokenIdOf(sid)).toBe(TOKEN)
      await request(server).post(PATH).send({ id: TOKEN }).expect(204)
      expect(await has(sid)).toBe(false)
    })
  })

  test.each<[string, unknown, RegExp]>([
    ['no options', undefined, /requires options/],
    ['null options', null, /requires options/],
    ['no sessionIndex', {}, /sessionIndex option/],
    ['a sessionStore without destroy', { sessionIndex: new MemorySessionIndex(), sessionStore: {} }, /"sessionStore"/],
    ['an empty allowFrom', { sessionIndex: new MemorySessionIndex(), allowFrom: [] }, /"allowFrom"/],
    ['a host name in allowFrom', { sessionIndex: new MemorySessionIndex(), allowFrom: ['example.com'] }, /"allowFrom"/],
    ['a bad CIDR prefix in allowFrom', { sessionIndex: new MemorySessionIndex(), allowFrom: ['10.0.0.0/33'] }, /"allowFrom"/],
    ['rateLimit.max 0', { sessionIndex: new MemorySessionIndex(), rateLimit: { max: 0, windowMs: 1000 } }, /"rateLimit.max"/],
    ['no rateLimit.windowMs', { sessionIndex: new MemorySessionIndex(), rateLimit: { max: 5 } }, /"rateLimit.windowMs"/],
    ['bodyTimeout 0', { sessionIndex: new MemorySessionIndex(), bodyTimeout: 0 }, /"bodyTimeout"/],
    ['a fractional bodyTimeout', { sessionIndex: new MemorySessionIndex(), bodyTimeout: 1.5 }, /"bodyTimeout"/],
  ])('options with %s throw a TypeError naming what is wrong', (_name, options, message) => {
    expect(() => createRevokeRouter(options as never)).toThrow(TypeError)
    expect(() => createRevokeRouter(options as never)).toThrow(message)
  })

  describe('plain (req, res, next) middleware', () => {
    test.each([
      ['Express 4', express4],
      ['Express 5', express],
    ])('on %s it answers at its mount point and passes longer paths on', async (_name, framework) => {
      const sessionIndex = new MemorySessionIndex()
      await sessionIndex.bind(TOKEN, 'sid-a')
      const app = framework()
      app.use(PATH, createRevokeRouter({ sessionIndex }))
      app.use((_req, res) => {
        res.status(404).json({ error: 'not_found_here' })
      })
      const server = await listen(app)
      await request(server).post(`${PATH}/more`).send({ id: TOKEN }).expect(404, { error: 'not_found_here' })
      await request(server).post(`${PATH}/x`).send({ id: TOKEN }).expect(404, { error: 'not_found_here' })
      expect(await sessionIndex.isRevoked(TOKEN)).toBe(false)
      await request(server).post(`${PATH}?x=1`).send({ id: TOKEN }).expect(204)
      expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
      const res = await request(server).get(PATH).expect(405)
      expect(res.body).toEqual({ error: 'method_not_allowed' })
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    })

    test.each([
      ['Express 4', express4],
      ['Express 5', express],
    ])('on %s it answers as a route handler (app.post)', async (_name, framework) => {
      const sessionIndex = new MemorySessionIndex()
      const app = framework()
      await sessionIndex.bind(TOKEN, 'sid-a')
      app.post(PATH, createRevokeRouter({ sessionIndex }))
      const server = await listen(app)
      await request(server).post(PATH).send({ id: TOKEN }).expect(204)
      expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
    })

    test('it serves a bare node:http server, where there is no next()', async () => {
      const sessionIndex = new MemorySessionIndex()
      await sessionIndex.bind(TOKEN, 'sid-a')
      const handler = createRevokeRouter({ sessionIndex })
      const server = createServer((req, res) => handler(req, res))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      try {
        const res = await rawPost(server, '', { 'content-type': 'application/json', 'content-length': '10000000' })
        expect(res.status).toBe(413)
        expect(res.headers.connection).toBe('close')
        await request(server).post('/anything').send({ id: TOKEN }).expect(204)
        expect(await sessionIndex.isRevoked(TOKEN)).toBe(true)
      } finally {
        await new Promise((resolve) => server.close(resolve))
      }
    })
  })
})
