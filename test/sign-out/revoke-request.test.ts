import { request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from '@jest/globals'
import express, { type Express, type Response } from 'express'
import { createRevokeRouter, REVOKE_BODY_LIMIT } from '../../src/sign-out/revoke-router.js'
import { MemorySessionIndex } from '../../src/sign-out/session-index/memory.js'
import { appServers } from '../helpers/http-server.js'

/** The revoke request as the unauthenticated route reads it: body size, encodings, parsed bodies, aborted bodies. */

const TOKEN = '01953bd1-a6d3-739e-8aa3-83e881f09055'
const PATH = '/auth/freedom-id/revoke/s3cr3t'

const servers = appServers()
afterEach(() => servers.closeAll())

/** A session index that records which ids reached it. */
class RecordingIndex extends MemorySessionIndex {
  readonly revoked: string[] = []
  override async revoke(tokenId: string): Promise<string[] | undefined> {
    this.revoked.push(tokenId)
    return super.revoke(tokenId)
  }
}

/** A server with the revoke router; `responses` holds every response the router was given, to see if it answered. */
async function revokeServer(configure?: (app: Express) => void) {
  const sessionIndex = new RecordingIndex()
  const responses: Response[] = []
  const app = express()
  app.use((_req, res, next) => {
    responses.push(res)
    next()
  })
  configure?.(app)
  app.use(PATH, createRevokeRouter({ sessionIndex }))
  const server = await servers.listen(app)
  return { server, sessionIndex, responses, port: (server.address() as AddressInfo).port }
}

interface Reply {
  status: number
  headers: Record<string, unknown>
  body: string
}

/** A POST with exactly these bytes and headers (`transfer-encoding: chunked` to send it without a length). */
function rawPost(server: Server, body: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  const { port } = server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** `{"id":TOKEN,"pad":"xx…"}` of exactly `size` bytes. */
function bodyOfSize(size: number): string {
  const empty = JSON.stringify({ id: TOKEN, pad: '' })
  return JSON.stringify({ id: TOKEN, pad: 'x'.repeat(size - empty.length) })
}

describe('revoke request size', () => {
  test('the limit is 4 KiB', () => {
    expect(REVOKE_BODY_LIMIT).toBe(4096)
  })

  test.each([
    ['with Content-Length', true],
    ['chunked', false],
  ])('a body of exactly 4,096 bytes %s is read, one of 4,097 answers 413', async (_name, withLength) => {
    const { server, sessionIndex } = await revokeServer()
    for (const [size, status] of [
      [4096, 204],
      [4097, 413],
    ] as const) {
      const body = bodyOfSize(size)
      expect(Buffer.byteLength(body)).toBe(size)
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      headers[withLength ? 'content-length' : 'transfer-encoding'] = withLength ? String(size) : 'chunked'
      const res = await rawPost(server, body, headers)
      expect(res.status).toBe(status)
      if (status === 413) expect(JSON.parse(res.body)).toEqual({ error: 'body_too_large' })
    }
    expect(sessionIndex.revoked).toEqual([TOKEN])
  })

  test.each([
    ['chunked', { 'transfer-encoding': 'chunked' }, 4097],
    ['with Content-Length', {}, 4097],
    ['declaring exactly 4 KiB + 64 KiB', {}, 4096 + 65536],
  ])('a body over 4 KiB but within the drained 64 KiB (%s) is read to its end: 413 on a connection kept open', async (_name, headers, size) => {
    const { server } = await revokeServer()
    const res = await rawPost(server, bodyOfSize(size), { 'content-type': 'application/json', ...headers })
    expect({ status: res.status, connection: res.headers.connection }).toEqual({ status: 413, connection: 'keep-alive' })
  })

  test('a body declaring one byte more than 4 KiB + 64 KiB answers 413 at once and closes the connection', async () => {
    const { port } = await revokeServer()
    const reply = await new Promise<{ status: number; connection: unknown }>((resolve, reject) => {
      const headers = { 'content-type': 'application/json', 'content-length': String(4096 + 65536 + 1) }
      const req = httpRequest({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers }, (res) => {
        res.resume()
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection })
        req.destroy()
      })
      req.on('error', () => undefined)
      req.write('{"id":"')
      setTimeout(() => reject(new Error('no answer before the body was sent')), 3000).unref()
    })
    expect(reply).toEqual({ status: 413, connection: 'close' })
  })

  test('a chunked body that never ends is cut off: 413 and the connection closed while the client is still sending', async () => {
    const { port, responses } = await revokeServer()
    const reply = await new Promise<{ status: number; connection: unknown }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: PATH, method: 'POST' }, (res) => {
        res.resume()
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection })
        req.destroy()
      })
      req.on('error', () => undefined)
      // 128 KiB, twice what the route drains, and the body is never ended: only the cut-off can produce an answer.
      for (let i = 0; i < 8; i++) req.write('x'.repeat(16 * 1024))
      setTimeout(() => {
        req.destroy()
        reject(new Error('no answer while the body was still being sent'))
      }, 3000).unref()
    })
    expect(reply).toEqual({ status: 413, connection: 'close' })
    expect(responses[0]?.writableEnded).toBe(true)
  })
})

describe('revoke request bodies', () => {
  test('an id with a prefix before the UUID answers 400 and never reaches the session index', async () => {
    const { server, sessionIndex } = await revokeServer()
    for (const id of [`x${TOKEN}`, `../${TOKEN}`, `${TOKEN}\n`, `${TOKEN.slice(0, -1)}g`]) {
      const res = await rawPost(server, JSON.stringify({ id }), { 'content-type': 'application/json' })
      expect({ id, status: res.status, body: JSON.parse(res.body) }).toEqual({ id, status: 400, body: { error: 'invalid_id' } })
    }
    expect(sessionIndex.revoked).toEqual([])
  })

  test('the JSON literal null answers 400 invalid_body', async () => {
    const { server, sessionIndex } = await revokeServer()
    const res = await rawPost(server, 'null', { 'content-type': 'application/json' })
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({ status: 400, body: { error: 'invalid_body' } })
    expect(sessionIndex.revoked).toEqual([])
  })

  test('a form body whose Content-Type has whitespace before its parameters is read as a form', async () => {
    const { server, sessionIndex } = await revokeServer()
    const res = await rawPost(server, `id=${TOKEN}`, { 'content-type': ' Application/X-WWW-Form-Urlencoded ; charset=UTF-8' })
    expect(res.status).toBe(204)
    expect(sessionIndex.revoked).toEqual([TOKEN])
  })

  test.each(['identity', 'IDENTITY'])('Content-Encoding: %s is read as it is', async (encoding) => {
    const { server, sessionIndex } = await revokeServer()
    const res = await rawPost(server, JSON.stringify({ id: TOKEN }), { 'content-encoding': encoding })
    expect(res.status).toBe(204)
    expect(sessionIndex.revoked).toEqual([TOKEN])
  })

  test.each(['br', 'deflate', 'gzip, identity'])('Content-Encoding: %s answers 415', async (encoding) => {
    const { server, sessionIndex } = await revokeServer()
    const res = await rawPost(server, JSON.stringify({ id: TOKEN }), { 'content-encoding': encoding })
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({ status: 415, body: { error: 'unsupported_encoding' } })
    expect(sessionIndex.revoked).toEqual([])
  })
})

describe('revoke request bodies already read by an app-level body parser', () => {
  test.each([
    ['express.text() (a string)', () => express.text({ type: '*/*' })],
    ['express.raw() (a Buffer)', () => express.raw({ type: '*/*' })],
    ['express.json()', () => express.json({ type: '*/*' })],
  ])('a JSON body parsed by %s is used', async (_name, parser) => {
    const { server, sessionIndex } = await revokeServer((app) => app.use(parser()))
    const res = await rawPost(server, JSON.stringify({ id: TOKEN }), { 'content-type': 'application/json' })
    expect(res.status).toBe(204)
    expect(sessionIndex.revoked).toEqual([TOKEN])
  })

  test.each([
    ['express.text()', () => express.text({ type: '*/*', limit: '1mb' })],
    ['express.raw()', () => express.raw({ type: '*/*', limit: '1mb' })],
    ['express.json()', () => express.json({ type: '*/*', limit: '1mb' })],
  ])('a body of 4,097 bytes parsed by %s answers 413, one of 4,096 is used', async (_name, parser) => {
    const { server, sessionIndex } = await revokeServer((app) => app.use(parser()))
    const big = await rawPost(server, bodyOfSize(4097), { 'content-type': 'application/json', 'content-length': '4097' })
    expect({ status: big.status, body: JSON.parse(big.body) }).toEqual({ status: 413, body: { error: 'body_too_large' } })
    const ok = await rawPost(server, bodyOfSize(4096), { 'content-type': 'application/json', 'content-length': '4096' })
    expect(ok.status).toBe(204)
    expect(sessionIndex.revoked).toEqual([TOKEN])
  })

  test.each([
    ['express.text()', () => express.text({ type: '*/*', limit: '1mb' })],
    ['express.raw()', () => express.raw({ type: '*/*', limit: '1mb' })],
  ])('a chunked body of 4,097 bytes read by %s answers 413', async (_name, parser) => {
    const { server, sessionIndex } = await revokeServer((app) => app.use(parser()))
    const res = await rawPost(server, bodyOfSize(4097), { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({ status: 413, body: { error: 'body_too_large' } })
    expect(sessionIndex.revoked).toEqual([])
  })

  test('a body consumed by a middleware that left no req.body answers 400 invalid_body', async () => {
    const { server, sessionIndex } = await revokeServer((app) =>
      app.use((req, _res, next) => {
        req.resume()
        req.on('end', () => next())
      }),
    )
    const res = await rawPost(server, JSON.stringify({ id: TOKEN }), { 'content-type': 'application/json' })
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({ status: 400, body: { error: 'invalid_body' } })
    expect(sessionIndex.revoked).toEqual([])
  })
})

describe('a revoke request aborted mid-body', () => {
  test('the route settles: it answers (to a closed socket) and revokes nothing', async () => {
    const { port, responses, sessionIndex } = await revokeServer()
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: PATH,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '200' },
      })
      req.on('error', () => resolve())
      req.on('close', () => resolve())
      req.write(`{"id":"${TOKEN}"`)
      setTimeout(() => req.destroy(), 100)
    })
    const deadline = Date.now() + 2000
    while (!(responses[0]?.writableEnded ?? false) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(responses).toHaveLength(1)
    expect(responses[0]!.writableEnded).toBe(true)
    expect(sessionIndex.revoked).toEqual([])
  })

  test('the route settles when the client went away before the route started reading', async () => {
    let aborted!: () => void
    const clientGone = new Promise<void>((resolve) => (aborted = resolve))
    const { port, responses, sessionIndex } = await revokeServer((app) =>
      // A slow middleware in front (a session store lookup, say): the client gives up meanwhile.
      app.use((_req, _res, next) => void clientGone.then(() => setTimeout(next, 100))),
    )
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: PATH,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '200' },
    })
    req.on('error', () => undefined)
    req.write(`{"id":"${TOKEN}"`)
    setTimeout(() => {
      req.destroy()
      aborted()
    }, 100)
    const deadline = Date.now() + 2000
    while (!(responses[0]?.writableEnded ?? false) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(responses[0]?.writableEnded).toBe(true)
    expect(sessionIndex.revoked).toEqual([])
  })
})
