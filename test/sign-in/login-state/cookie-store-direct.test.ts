import { createHash, hkdfSync } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, get as httpsGet } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { CompactEncrypt } from 'jose'
import { generate as selfSigned } from 'selfsigned'
import { cookieLoginState, PENDING_COOKIES_BUDGET, type CookieLoginStateOptions } from '../../../src/sign-in/login-state/cookie-store.js'
import type { LoginRecord } from '../../../src/sign-in/login-state/record.js'

/** The store driven directly on a bare node:http server: each request runs `handle`, and answers its result as JSON. */
const SECRET = 'a-cookie-secret-of-at-least-32-characters'
const CALLBACK = 'http://127.0.0.1/auth/freedom-id/callback'
let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<unknown>

async function call(handle: Handler, path: string, cookies: string[] = []) {
  server ??= createServer()
  server.removeAllListeners('request')
  server.on('request', (req, res) => {
    handle(req, res).then(
      (result) => res.end(JSON.stringify(result ?? null)),
      (err: Error) => res.end(JSON.stringify({ error: err.message })),
    )
  })
  if (!server.listening) await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
    headers: cookies.length > 0 ? { cookie: cookies.join('; ') } : {},
  })
  return { setCookies: res.headers.getSetCookie(), body: (await res.json()) as unknown }
}

const record = (state: string, extra: Record<string, unknown> = {}): LoginRecord =>
  ({ state, nonce: 'n-' + state, redirect_uri: CALLBACK, created: Date.now(), ...extra }) as LoginRecord

/** Puts each record in turn (each request sending the cookies so far); returns the cookies as `name=value`. */
async function put(options: Partial<CookieLoginStateOptions>, ...records: LoginRecord[]): Promise<string[]> {
  const store = cookieLoginState({ secret: SECRET, ...options })
  const jar = new Map<string, string>()
  for (const r of records) {
    const { setCookies } = await call((req, res) => store.put(req, res, r), '/auth/freedom-id', [...jar].map(([n, v]) => `${n}=${v}`))
    for (const c of setCookies) {
      const [pair, ...attributes] = c.split('; ')
      const [name, value] = pair!.split('=') as [string, string]
      if (attributes.includes('Max-Age=0')) jar.delete(name)
      else jar.set(name, value)
    }
  }
  return [...jar].map(([n, v]) => `${n}=${v}`)
}

describe('cookieLoginState records', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a nonce that is not a string', { nonce: 5 }],
    ['a created that is not a number', { created: String(Date.now()) }],
    ['a code_verifier that is not a string', { code_verifier: 5 }],
    ['a max_age that is not a number', { max_age: '60' }],
    ['a returnTo that is not a string', { returnTo: ['/x'] }],
  ])('a stored record with %s finds nothing at the callback', async (_name, extra) => {
    const stored = await put({}, record('s1', extra))
    expect(stored).toHaveLength(1)
    const store = cookieLoginState({ secret: SECRET })
    const { body } = await call((req, res) => store.take(req, res, 's1'), '/auth/freedom-id/callback', stored)
    expect(body).toBeNull()
  })

  it('a record with every optional field finds itself', async () => {
    const full = record('s1', { code_verifier: 'v', max_age: 60, returnTo: '/x' })
    const stored = await put({}, full)
    const store = cookieLoginState({ secret: SECRET })
    const { body } = await call((req, res) => store.take(req, res, 's1'), '/auth/freedom-id/callback', stored)
    expect(body).toEqual(full)
  })

  it('a callback without state takes the newest pending login', async () => {
    const older = record('s1', { created: Date.now() - 60_000 })
    const stored = await put({}, older, record('s2'), record('s3', { created: Date.now() - 30_000 }))
    const store = cookieLoginState({ secret: SECRET })
    const { body } = await call((req, res) => store.take(req, res, null), '/auth/freedom-id/callback', stored)
    expect(body).toMatchObject({ state: 's2' })
  })
})

describe('the login cookie on frameworks', () => {
  const secureOf = (setCookie: string) => setCookie.split('; ').includes('Secure')

  it.each<[string, boolean, (req: IncomingMessage) => void]>([
    ['a bare node:http request over http', false, () => undefined],
    ['a request whose protocol says https (Fastify, Koa)', true, (req) => Object.assign(req, { protocol: 'https' })],
    ['a request whose protocol says http', false, (req) => Object.assign(req, { protocol: 'http' })],
    ['req.secure false, whatever protocol says (Express)', false, (req) => Object.assign(req, { secure: false, protocol: 'https' })],
    ['req.secure true (Express behind a trusted proxy)', true, (req) => Object.assign(req, { secure: true, protocol: 'http' })],
  ])("with secure 'auto', %s: Secure %s, on the cookie and on its clearing", async (_name, secure, frame) => {
    const store = cookieLoginState({ secret: SECRET })
    const put = await call(async (req, res) => (frame(req), store.put(req, res, record('s1'))), '/auth/freedom-id')
    expect(put.setCookies.map(secureOf)).toEqual([secure])
    const cookie = put.setCookies[0]!.split('; ')[0]!
    const take = await call(async (req, res) => (frame(req), store.take(req, res, 's1')), '/auth/freedom-id/callback', [cookie])
    expect(take.setCookies.map(secureOf)).toEqual([secure])
  })

  it('the cookie is cleared at the callback on the path it was set on, also with a query string', async () => {
    const store = cookieLoginState({ secret: SECRET })
    const [cookie] = await put({}, record('s1'))
    const take = await call((req, res) => store.take(req, res, 's1'), '/auth/freedom-id/callback?code=x&state=s1', [cookie!])
    expect(take.setCookies).toHaveLength(1)
    expect(take.setCookies[0]).toContain('Path=/auth/freedom-id/callback')
    expect(take.setCookies[0]).toContain('Max-Age=0')
  })

  it('a Set-Cookie the app already set stays beside the login cookie', async () => {
    const store = cookieLoginState({ secret: SECRET })
    const { setCookies } = await call(async (req, res) => {
      res.setHeader('Set-Cookie', 'theme=dark')
      await store.put(req, res, record('s1'))
    }, '/auth/freedom-id')
    expect(setCookies.map((c) => c.split('=')[0])).toEqual(['theme', 'freedom-id.login.' + setCookies[1]!.split('.')[2]!.split('=')[0]])
  })

  it("the app's other cookies are never counted nor cleared", async () => {
    const store = cookieLoginState({ secret: SECRET, maxPending: 1 })
    const [first] = await put({}, record('s1'))
    const { setCookies } = await call((req, res) => store.put(req, res, record('s2')), '/auth/freedom-id', ['theme=dark', 'sid=abc', first!])
    expect(setCookies.map((c) => c.split('=')[0])).not.toContain('theme')
    expect(setCookies.map((c) => c.split('=')[0])).not.toContain('sid')
    expect(setCookies.filter((c) => c.includes('Max-Age=0')).map((c) => c.split('=')[0])).toEqual([first!.split('=')[0]])
  })

  it('beyond maxPending the oldest login is cleared, whatever order the browser sends the cookies in', async () => {
    const now = Date.now()
    const stored = await put({}, record('old', { created: now - 60_000 }), record('new', { created: now }), record('mid', { created: now - 30_000 }))
    const store = cookieLoginState({ secret: SECRET, maxPending: 3 })
    const { setCookies } = await call((req, res) => store.put(req, res, record('next')), '/auth/freedom-id', stored)
    expect(setCookies.filter((c) => c.includes('Max-Age=0')).map((c) => c.split('=')[0])).toEqual([stored[0]!.split('=')[0]])
  })

  it('a Fastify request without request.res errors with the advice for Fastify', async () => {
    const store = cookieLoginState({ secret: SECRET })
    const fastifyRequest = { headers: {}, raw: {} }
    await expect(store.put(fastifyRequest as never, undefined, record('s1'))).rejects.toThrow(/request\.res = reply/)
  })
})

describe('cookieLoginState option boundaries', () => {
  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /requires an options object/],
    ['null options', null, /requires an options object/],
    ['a number in the secret list', { secret: [SECRET, 12345678901234567890123456789012345] }, /"secret" option entry 1/],
    ['a fractional maxPending', { secret: SECRET, maxPending: 2.5 }, /"maxPending"/],
    ['a numeric name', { secret: SECRET, name: 5 }, /"name"/],
  ])('%s is a TypeError naming the option', (_name, options, message) => {
    expect(() => cookieLoginState(options as CookieLoginStateOptions)).toThrow(TypeError)
    expect(() => cookieLoginState(options as CookieLoginStateOptions)).toThrow(message)
  })

  it.each<[string, Partial<CookieLoginStateOptions>]>([
    ['a secret of exactly 32 characters', { secret: 'x'.repeat(32) }],
    ['maxPending 1', { maxPending: 1 }],
    ['maxPending 20', { maxPending: 20 }],
  ])('%s is accepted', (_name, options) => {
    expect(() => cookieLoginState({ secret: SECRET, ...options })).not.toThrow()
  })
})

describe('cookieLoginState on a Fastify reply', () => {
  it('sets the login cookie through reply.header(), beside a cookie the app set, and clears it at the callback', async () => {
    const { default: Fastify } = await import('fastify')
    const app = Fastify()
    const store = cookieLoginState({ secret: SECRET })
    app.get('/auth/freedom-id', async (request, reply) => {
      reply.header('set-cookie', 'theme=dark')
      await store.put(request.raw, reply as never, record('s1'))
      return 'ok'
    })
    app.get('/auth/freedom-id/callback', async (request, reply) => (await store.take(request.raw, reply as never, 's1')) ?? null)
    try {
      const base = await app.listen({ port: 0, host: '127.0.0.1' })
      const start = await fetch(`${base}/auth/freedom-id`)
      const set = start.headers.getSetCookie()
      expect(set.map((c) => c.split('=')[0]!.split('.').slice(0, 2).join('.'))).toEqual(['theme', 'freedom-id.login'])
      const callback = await fetch(`${base}/auth/freedom-id/callback`, { headers: { cookie: set[1]!.split(';')[0]! } })
      expect(await callback.json()).toMatchObject({ state: 's1' })
      expect(callback.headers.getSetCookie().join()).toContain('Max-Age=0')
    } finally {
      await app.close()
    }
  })
})

describe('cookieLoginState with secure set', () => {
  it.each([
    [true, true],
    [false, false],
  ])('secure: %s gives the clearing cookie Secure %s, whatever the request says', async (secure, expected) => {
    const store = cookieLoginState({ secret: SECRET, secure })
    const [cookie] = await put({ secure }, record('s1'))
    const take = await call(async (req, res) => (Object.assign(req, { secure: !secure }), store.take(req, res, 's1')), '/auth/freedom-id/callback', [cookie!])
    expect(take.setCookies[0]!.split('; ').includes('Secure')).toBe(expected)
  })
})

describe('the pending cookies byte budget', () => {
  /** `name=value` of the cookie `put` writes for a record whose returnTo is `pad` characters long. */
  const cookieFor = async (state: string, pad: number, created: number) =>
    (await put({}, record(state, { returnTo: '/' + 'x'.repeat(pad), created })))[0]!
  const size = (cookie: string) => cookie.length + 2 // name=value plus '; ', as the budget counts it

  /** Pads an older cookie and a new login so that their cookies take exactly `total` bytes of the budget. */
  async function pair(total: number) {
    const now = Date.now()
    // Base64url grows by 4 characters per 3 bytes, so some totals need the new login padded one or two more.
    for (let freshPad = 2000; freshPad < 2003; freshPad++) {
      const fresh = record('new', { returnTo: '/' + 'y'.repeat(freshPad), created: now })
      const freshSize = size((await put({}, fresh))[0]!)
      for (let pad = 2000; pad < 3000; pad++) {
        const old = await cookieFor('old', pad, now - 1000)
        if (size(old) + freshSize === total) return { old, fresh }
        if (size(old) + freshSize > total) break
      }
    }
    throw new Error(`no pair of cookies takes ${total} bytes`)
  }

  it.each([
    ['take exactly the budget: the older one is kept', PENDING_COOKIES_BUDGET, false],
    ['take one byte more: the older one is cleared', PENDING_COOKIES_BUDGET + 1, true],
  ])('two login cookies that %s', async (_name, total, cleared) => {
    const found = await pair(total)
    const store = cookieLoginState({ secret: SECRET })
    const { setCookies } = await call((req, res) => store.put(req, res, found.fresh), '/auth/freedom-id', [found.old])
    expect(setCookies.some((c) => c.includes('Max-Age=0'))).toBe(cleared)
  })
})

describe('the pending cookies byte budget, with three cookies', () => {
  it('the cookies kept count against the budget: an older cookie that fits alone, but not beside the kept ones, is cleared', async () => {
    const now = Date.now()
    const pad = (n: number) => '/' + 'x'.repeat(n)
    const [newer] = await put({}, record('newer', { returnTo: pad(1800), created: now - 1000 }))
    const [older] = await put({}, record('older', { returnTo: pad(1800), created: now - 2000 }))
    const fresh = record('fresh', { returnTo: pad(1800), created: now })
    const [freshCookie] = await put({}, fresh)
    const size = (cookie: string) => cookie.length + 2
    // Each cookie fits beside the new one alone; all three do not.
    expect(size(freshCookie!) + size(newer!)).toBeLessThanOrEqual(PENDING_COOKIES_BUDGET)
    expect(size(freshCookie!) + size(older!)).toBeLessThanOrEqual(PENDING_COOKIES_BUDGET)
    expect(size(freshCookie!) + size(newer!) + size(older!)).toBeGreaterThan(PENDING_COOKIES_BUDGET)

    const store = cookieLoginState({ secret: SECRET })
    const { setCookies } = await call((req, res) => store.put(req, res, fresh), '/auth/freedom-id', [older!, newer!])
    expect(setCookies.filter((c) => c.includes('Max-Age=0')).map((c) => c.split('=')[0])).toEqual([older!.split('=')[0]])
  })
})

describe('a login put again under the same state', () => {
  it('replaces its own cookie without counting it against maxPending', async () => {
    const now = Date.now()
    const stored = await put({}, record('other', { created: now - 2000 }), record('same', { created: now - 1000 }))
    const store = cookieLoginState({ secret: SECRET, maxPending: 2 })
    const again = record('same', { created: now })
    const { setCookies } = await call((req, res) => store.put(req, res, again), '/auth/freedom-id', stored)
    const sameName = stored[1]!.split('=')[0]
    // The old cookie of that name is cleared and written anew; the other login stays pending.
    expect(setCookies.map((c) => [c.split('=')[0], c.includes('Max-Age=0')])).toEqual([
      [sameName, true],
      [sameName, false],
    ])
  })
})

describe('the login cookie format, as released', () => {
  /**
   * `name=value` of a cookie sealed by hand with the documented derivation: HKDF-SHA256 of the secret, no salt, this
   * info; kid = first 8 characters of base64url(SHA-256(key)); name = prefix + first 16 characters of
   * base64url(SHA-256(state)). `content` is sealed as JSON, whatever it is.
   */
  async function sealByHand(state: string, content: unknown): Promise<string> {
    const key = new Uint8Array(hkdfSync('sha256', SECRET, new Uint8Array(0), 'passport-freedom-id login state cookie v1', 32))
    const kid = createHash('sha256').update(key).digest('base64url').slice(0, 8)
    const value = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(content)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid, iat: Date.now() })
      .encrypt(key)
    return `freedom-id.login.${createHash('sha256').update(state).digest('base64url').slice(0, 16)}=${value}`
  }
  const take = (state: string | null, cookie: string) => {
    const store = cookieLoginState({ secret: SECRET })
    return call((req, res) => store.take(req, res, state), '/auth/freedom-id/callback', [cookie])
  }

  it('a cookie sealed by hand with the documented key derivation opens, so cookies in flight survive an upgrade', async () => {
    const sealed = record('s1')
    expect((await take('s1', await sealByHand('s1', sealed))).body).toEqual(sealed)
  })

  it.each<[string, unknown, string | null]>([
    ['JSON null', null, 's1'],
    ['a string', 's1', 's1'],
    ['a list', [record('s1')], null],
    ['a record without state, at a callback without state', { ...record('s1'), state: undefined }, null],
    ['a record whose state is a number, at a callback without state', { ...record('s1'), state: 1 }, null],
    ['a record without redirect_uri', { ...record('s1'), redirect_uri: undefined }, 's1'],
    ['a record without created', { ...record('s1'), created: undefined }, 's1'],
  ])('a cookie sealed under the secret that holds %s finds nothing, and is cleared', async (_name, content, state) => {
    const { body, setCookies } = await take(state, await sealByHand('s1', content))
    expect(body).toBeNull()
    expect(setCookies).toEqual([expect.stringContaining('Max-Age=0')])
  })
})

describe('the login cookie on a bare node:https server', () => {
  it("with secure 'auto', the cookie and its clearing are Secure", async () => {
    const { private: key, cert } = await selfSigned([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    })
    const store = cookieLoginState({ secret: SECRET })
    const https = createHttpsServer({ key, cert }, (req, res) => {
      const done = req.url === '/auth/freedom-id' ? store.put(req, res, record('s1')) : store.take(req, res, 's1')
      done.then(
        (result) => res.end(JSON.stringify(result ?? null)),
        (err: Error) => res.end(JSON.stringify({ error: err.message })),
      )
    })
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
    const port = (https.address() as AddressInfo).port
    const request = (path: string, cookie?: string) =>
      new Promise<{ setCookies: string[]; body: unknown }>((resolve, reject) => {
        httpsGet({ host: '127.0.0.1', port, path, ca: cert, headers: cookie ? { cookie } : {} }, (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ setCookies: res.headers['set-cookie'] ?? [], body: JSON.parse(text) }))
        }).on('error', reject)
      })
    try {
      const started = await request('/auth/freedom-id')
      expect(started.setCookies).toHaveLength(1)
      expect(started.setCookies[0]!.split('; ')).toContain('Secure')
      const finished = await request('/auth/freedom-id/callback', started.setCookies[0]!.split('; ')[0])
      expect(finished.body).toMatchObject({ state: 's1' })
      expect(finished.setCookies[0]!.split('; ')).toEqual(expect.arrayContaining(['Max-Age=0', 'Secure']))
    } finally {
      https.closeAllConnections()
      await new Promise((resolve) => https.close(resolve))
    }
  })
})
