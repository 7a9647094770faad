import { createHash, hkdfSync } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { debuglog } from 'node:util'
import { parse, serialize } from 'cookie'
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose'
import { isFresh, LOGIN_RECORD_TTL_MS, type LoginRecord } from './record.js'
import type { LoginStateStore } from './types.js'

const debug = debuglog('freedom-id')

/** Options of {@link cookieLoginState}. */
export interface CookieLoginStateOptions {
  /**
   * The secret the cookies' key is derived from (HKDF-SHA256), at least 32 characters; or a list, newest first: new
   * cookies use the first, every one is tried at the callback, so a secret can be rotated without breaking logins in
   * flight (keep the old one listed for 10 minutes). Required.
   */
  secret: string | readonly string[]
  /**
   * `Secure` attribute: `true`, `false`, or `'auto'` (Secure when the request is https, as the framework sees it:
   * Express's `req.secure` honours `trust proxy`). Default `'auto'`.
   */
  secure?: boolean | 'auto'
  /** Prefix of the cookies' names; each pending login's cookie is `${name}.${id}`. Default `'freedom-id.login'`. */
  name?: string
  /** Most pending logins (tabs) one browser keeps; the oldest goes first. Default `5`, at most `20`. */
  maxPending?: number
}

/** Most bytes the pending-login cookies may take together in the callback's `Cookie` header (names and values). */
export const PENDING_COOKIES_BUDGET = 6 * 1024
/** A cookie value longer than this is not ours: it is cleared unread. */
const MAX_VALUE_LENGTH = 4000
const HKDF_INFO = 'passport-freedom-id login state cookie v1'

interface Key {
  kid: string
  key: Uint8Array
}

interface PendingCookie {
  name: string
  value: string
  created: number
}

function fail(name: string, requirement: string): never {
  throw new TypeError(`cookieLoginState: "${name}" option ${requirement}`)
}

function deriveKeys(secret: unknown): Key[] {
  const list = typeof secret === 'string' ? [secret] : secret
  if (!Array.isArray(list) || list.length === 0) fail('secret', 'is required: a string of at least 32 characters, or a list of them, newest first')
  return list.map((s: unknown, i) => {
    if (typeof s !== 'string' || s.length < 32) fail('secret', `${Array.isArray(secret) ? `entry ${i} ` : ''}must be a string of at least 32 characters`)
    const key = new Uint8Array(hkdfSync('sha256', s, new Uint8Array(0), HKDF_INFO, 32))
    return { kid: createHash('sha256').update(key).digest('base64url').slice(0, 8), key }
  })
}

function resolveMaxPending(value: unknown): number {
  if (value === undefined) return 5
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 20) fail('maxPending', 'must be an integer from 1 to 20')
  return value
}

function resolveName(value: unknown): string {
  if (value === undefined) return 'freedom-id.login'
  if (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,64}$/.test(value)) fail('name', 'must be a cookie name (1–64 token characters)')
  return value
}

/** The cookie id of a state: not secret (the state is in the URL), short, and a valid cookie-name token. */
function cookieId(state: string): string {
  return createHash('sha256').update(state).digest('base64url').slice(0, 16)
}

function requestIsHttps(req: IncomingMessage): boolean {
  const r = req as IncomingMessage & { secure?: unknown; protocol?: unknown }
  if (typeof r.secure === 'boolean') return r.secure
  if (typeof r.protocol === 'string') return r.protocol === 'https'
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true
}

function requestPath(req: IncomingMessage): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
  return new URL(url, 'http://localhost').pathname
}

/** Express's and Node's response (`getHeader`/`setHeader`), or a Fastify reply (`header()` appends `set-cookie`). */
type ResponseLike = Pick<ServerResponse, 'getHeader' | 'setHeader'> | { header(name: string, value: string): unknown }

function appendSetCookie(res: ResponseLike, value: string): void {
  if ('setHeader' in res && typeof res.setHeader === 'function') {
    const prev = res.getHeader('Set-Cookie')
    const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)]
    res.setHeader('Set-Cookie', [...list, value])
  } else (res as { header(name: string, value: string): unknown }).header('set-cookie', value)
}

function isRecord(value: unknown, state: string | null): value is LoginRecord {
  const r = (value ?? {}) as Record<string, unknown> // a primitive has none of the fields below
  return (
    typeof r.state === 'string' &&
    (state === null || r.state === state) &&
    typeof r.nonce === 'string' &&
    typeof r.redirect_uri === 'string' &&
    typeof r.created === 'number' &&
    (r.code_verifier === undefined || typeof r.code_verifier === 'string') &&
    (r.max_age === undefined || typeof r.max_age === 'number') &&
    (r.returnTo === undefined || typeof r.returnTo === 'string')
  )
}

/**
 * A {@link LoginStateStore} that needs no session: each pending login is its own cookie, its record encrypted and
 * authenticated as a JWE (`dir`, `A256GCM`) under a key derived from `secret`. The cookie is `HttpOnly`,
 * `SameSite=Lax` (the callback is a top-level GET from Freedom ID), `Secure` on https, scoped to the callback's path,
 * and lives 10 minutes. The callback finds its cookie by `state`, so several tabs each finish; at most `maxPending`
 * cookies (and {@link PENDING_COOKIES_BUDGET} bytes) are kept, the oldest dropped first. The callback's cookie is
 * cleared whatever the outcome; one that is tampered with, from another browser, expired or encrypted under an
 * unknown secret finds nothing, so the login fails with `STATE_MISSING`.
 *
 * Needs the response: `req.res` (Express, NestJS on Express; under `@fastify/passport`, the app sets
 * `request.res = reply` in an `onRequest` hook, since Fastify's request holds no reference to its reply).
 *
 * @throws TypeError naming the option when `secret`, `secure`, `name` or `maxPending` is wrong.
 */
export function cookieLoginState(options: CookieLoginStateOptions): LoginStateStore {
  if (options === null || typeof options !== 'object') throw new TypeError('cookieLoginState requires an options object with a "secret"')
  const keys = deriveKeys(options.secret)
  const secure = options.secure ?? 'auto'
  if (secure !== 'auto' && typeof secure !== 'boolean') fail('secure', "must be true, false or 'auto'")
  const prefix = `${resolveName(options.name)}.`
  const maxPending = resolveMaxPending(options.maxPending)

  const responseOf = (req: IncomingMessage, res: ServerResponse | undefined): ResponseLike => {
    const r = res as unknown as Record<string, unknown> | undefined
    if (r && ((typeof r.setHeader === 'function' && typeof r.getHeader === 'function') || typeof r.header === 'function')) {
      return r as unknown as ResponseLike
    }
    if ((req as unknown as { raw?: unknown }).raw !== undefined) {
      throw new Error(
        'cookieLoginState cannot set its cookie: @fastify/passport hands strategies the Fastify request, which holds no ' +
          'reference to the reply. Expose it as request.res: fastify.decorateRequest(\'res\', null) and ' +
          "fastify.addHook('onRequest', async (request, reply) => { request.res = reply }); or keep pending logins in " +
          'the session (the default loginState) with @fastify/secure-session or @fastify/session.',
      )
    }
    throw new Error(
      'cookieLoginState needs the response to set its cookie, and req.res is missing: use Express or NestJS on ' +
        'Express, or keep pending logins in the session (the default loginState).',
    )
  }

  const pendingCookies = (req: IncomingMessage): PendingCookie[] => {
    const header = req.headers.cookie
    if (typeof header !== 'string' || header === '') return []
    const all = parse(header)
    const found: PendingCookie[] = []
    for (const [name, value] of Object.entries(all)) {
      if (!name.startsWith(prefix) || value === undefined) continue
      let created = 0
      if (value.length <= MAX_VALUE_LENGTH) {
        try {
          const iat = decodeProtectedHeader(value).iat
          if (typeof iat === 'number') created = iat
        } catch {
          created = 0
        }
      }
      found.push({ name, value, created })
    }
    return found
  }

  const clear = (res: ResponseLike, name: string, path: string, https: boolean) =>
    appendSetCookie(res, serialize(name, '', { httpOnly: true, sameSite: 'lax', secure: https, path, maxAge: 0 }))

  const decrypt = async (value: string, state: string | null): Promise<LoginRecord | undefined> => {
    if (value.length > MAX_VALUE_LENGTH) return undefined
    try {
      const kid = decodeProtectedHeader(value).kid
      const key = keys.find((k) => k.kid === kid)
      if (!key) return undefined
      const { plaintext } = await compactDecrypt(value, key.key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      })
      const record: unknown = JSON.parse(new TextDecoder().decode(plaintext))
      return isRecord(record, state) && isFresh(record) ? record : undefined
    } catch {
      return undefined
    }
  }

  return {
    async put(req, res, record, putOptions) {
      const response = responseOf(req, res)
      const https = secure === 'auto' ? requestIsHttps(req) : secure
      const path = new URL(record.redirect_uri).pathname
      const value = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(record)))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: keys[0]!.kid, iat: record.created })
        .encrypt(keys[0]!.key)
      const name = prefix + cookieId(record.state)
      const now = Date.now()
      let budget = PENDING_COOKIES_BUDGET - name.length - value.length - 3
      let kept = 1
      const others = pendingCookies(req).sort((a, b) => b.created - a.created)
      for (const c of others) {
        const size = c.name.length + c.value.length + 3
        const keep =
          !putOptions?.only && kept < maxPending && size <= budget && c.name !== name && now - c.created < LOGIN_RECORD_TTL_MS
        if (keep) {
          kept += 1
          budget -= size
        } else clear(response, c.name, path, https)
      }
      appendSetCookie(
        response,
        serialize(name, value, { httpOnly: true, sameSite: 'lax', secure: https, path, maxAge: LOGIN_RECORD_TTL_MS / 1000 }),
      )
    },

    async take(req, res, state) {
      const response = responseOf(req, res)
      const https = secure === 'auto' ? requestIsHttps(req) : secure
      const path = requestPath(req)
      const cookies = pendingCookies(req)
      const wanted =
        state === null ? cookies.sort((a, b) => b.created - a.created)[0] : cookies.find((c) => c.name === prefix + cookieId(state))
      if (!wanted) {
        debug('login state cookie: none for this callback (%d pending)', cookies.length)
        return undefined
      }
      clear(response, wanted.name, path, https)
      const record = await decrypt(wanted.value, state)
      if (!record) debug('login state cookie: unreadable, foreign or expired')
      return record
    },
  }
}
