import { BlockList, isIP } from 'node:net'
import { debuglog } from 'node:util'
import { Router, type Request, type Response } from 'express'
import type { SessionIndex } from './session-index/types.js'

const debug = debuglog('freedom-id')

/** Largest revoke body read, in bytes: the provider sends `{"id":"<uuid>"}`. */
export const REVOKE_BODY_LIMIT = 4096

/** Bytes of an oversized body drained before answering 413 on a connection that is then closed. */
const DRAIN_LIMIT = 64 * 1024

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The `error` member of the revoke route's JSON error bodies. */
export type RevokeErrorCode =
  /** 400: the body is not JSON (or not UTF-8), or its JSON is not an object. */
  | 'invalid_body'
  /** 400: the body has no `id`. */
  | 'missing_id'
  /** 400: `id` is not one UUID string. */
  | 'invalid_id'
  /** 413: the body exceeds {@link REVOKE_BODY_LIMIT}. */
  | 'body_too_large'
  /** 415: the body has a `Content-Encoding`. */
  | 'unsupported_encoding'
  /** 405: a method other than POST. */
  | 'method_not_allowed'
  /** 403: the source address is not in `allowFrom`. */
  | 'forbidden'
  /** 429: `rateLimit` exceeded; see `Retry-After`. */
  | 'rate_limited'
  /** 503: the session index or the session store failed; the provider may retry. */
  | 'store_unavailable'

/** The part of an express-session store the router uses: `destroy(sid, callback)`. */
export interface SessionStoreLike {
  destroy(sid: string, callback: (err?: unknown) => void): void
}

/** Options of {@link createRevokeRouter}. */
export interface RevokeRouterOptions {
  /** Where the strategy bound token ids to session ids at login. Required. */
  sessionIndex: SessionIndex
  /**
   * The app's express-session store (`MemoryStore`, connect-redis `RedisStore` …): each session bound to the revoked
   * token id is destroyed through `destroy(sid, cb)`. Omit it with cookie sessions (`cookie-session`), which no server
   * can destroy: then {@link createRevokeGuard} logs those sessions out on their next request. Default: none.
   */
  sessionStore?: SessionStoreLike
  /**
   * Source addresses allowed to call the route: IPv4 or IPv6 addresses (IPv4-mapped IPv6 addresses match their IPv4
   * form) or CIDR ranges (`'203.0.113.0/24'`). Checked against `req.ip`, so Express's `trust proxy` setting decides
   * whether `X-Forwarded-For` counts. Others get 403. Default: any source.
   */
  allowFrom?: string[]
  /**
   * A fixed-window limit on POSTs, counted per process over all sources: at most `max` per `windowMs` milliseconds;
   * beyond it 429 with `Retry-After` (seconds). Default: no limit.
   */
  rateLimit?: { max: number; windowMs: number }
}

/**
 * The route Freedom ID calls when a user signs out of Freedom ID: `POST revoke_uri` with `{"id": TOKEN_ID}` (the
 * token record id returned with the tokens), unauthenticated per the provider docs
 * ({@link https://docs.freedompay.kz/api-12108733 | Token exchange}).
 *
 * It reads a JSON body (also when `Content-Type` is missing or another type, since the provider's is undocumented) or
 * a form body, requires `id` to be a UUID, revokes it in the session index (which also remembers it for the guard),
 * destroys the bound sessions in `sessionStore`, and answers 204 whether the id was known or not, on repeats too.
 * Bad bodies get 400, bodies over 4 KiB 413, other methods 405 with `Allow: POST`; a failing store 503 (logged with
 * `NODE_DEBUG=freedom-id`), never 500. Every answer has `Cache-Control: no-store`; the route sets no cookie, needs no
 * session or CSRF middleware, and should be mounted before them.
 *
 * The route is not authenticated, so mount it under a path with an unguessable segment and register that URL as
 * `revokeURL`: `app.use('/auth/freedom-id/revoke/' + secret, createRevokeRouter({ sessionIndex, sessionStore }))`.
 * `allowFrom` and `rateLimit` harden it further.
 *
 * @throws TypeError when an option is invalid.
 */
export function createRevokeRouter(options: RevokeRouterOptions): Router {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRevokeRouter requires options')
  const { sessionIndex, sessionStore } = options
  if (typeof sessionIndex?.revoke !== 'function') {
    throw new TypeError('createRevokeRouter requires a sessionIndex option')
  }
  if (sessionStore !== undefined && typeof sessionStore?.destroy !== 'function') {
    throw new TypeError('"sessionStore" option must have a destroy(sid, callback) method')
  }
  const allowed = options.allowFrom === undefined ? undefined : toBlockList(options.allowFrom)
  const limiter = options.rateLimit === undefined ? undefined : fixedWindow(options.rateLimit)

  const router = Router()
  router.all('/', async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store')
    try {
      if (allowed && !isAllowed(allowed, req.ip)) return fail(res, 403, 'forbidden')
      if (req.method !== 'POST') {
        res.set('Allow', 'POST')
        return fail(res, 405, 'method_not_allowed')
      }
      const retryAfter = limiter?.()
      if (retryAfter) {
        res.set('Retry-After', String(retryAfter))
        return fail(res, 429, 'rate_limited')
      }
      const encoding = req.headers['content-encoding']
      if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return fail(res, 415, 'unsupported_encoding')
      const body = await readBody(req)
      if (!body.ok) return fail(res, body.error === 'body_too_large' ? 413 : 400, body.error)
      const id = extractId(req, body.value)
      if (!id.ok) return fail(res, 400, id.error)
      await revoke(sessionIndex, sessionStore, id.value.toLowerCase())
      res.status(204).end()
    } catch (err) {
      debug('revoke: the session index or store failed: %s', describeError(err))
      if (!res.headersSent) fail(res, 503, 'store_unavailable')
    }
  })
  return router
}

async function revoke(index: SessionIndex, store: SessionStoreLike | undefined, tokenId: string): Promise<void> {
  const sessionIds = await index.revoke(tokenId)
  if (store === undefined || sessionIds.length === 0) return
  const results = await Promise.allSettled(sessionIds.map((sid) => destroy(store, sid)))
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ sid: sessionIds[i]!, reason: r.reason }] : []))
  if (failed.length === 0) return
  // Bound again so that the provider's retry finds them; the revoked mark already covers them for the guard.
  await Promise.allSettled(failed.map(({ sid }) => index.bind(tokenId, sid)))
  throw failed[0]!.reason
}

function destroy(store: SessionStoreLike, sid: string): Promise<void> {
  return new Promise((resolve, reject) => {
    store.destroy(sid, (err) => (err ? reject(err) : resolve()))
  })
}

type Result<T> = { ok: true; value: T } | { ok: false; error: RevokeErrorCode }

const error = (code: RevokeErrorCode): { ok: false; error: RevokeErrorCode } => ({ ok: false, error: code })

/** The body's `id` when it is one UUID. A form body is read as a form; any other body, typed or not, as JSON. */
function extractId(req: Request, body: string | object): Result<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  let id: unknown
  if (typeof body === 'string' && type === 'application/x-www-form-urlencoded') {
    const ids = new URLSearchParams(body).getAll('id')
    if (ids.length > 1) return error('invalid_id')
    id = ids[0]
  } else {
    let value: unknown = body
    if (typeof body === 'string') {
      try {
        value = JSON.parse(body)
      } catch {
        return error('invalid_body')
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return error('invalid_body')
    id = (value as Record<string, unknown>).id
  }
  if (id === undefined || id === null || id === '') return error('missing_id')
  return typeof id === 'string' && UUID.test(id) ? { ok: true, value: id } : error('invalid_id')
}

/**
 * The body as UTF-8 text, or what an app-level body parser already made of it. An oversized body is drained up to
 * a limit (so that the client reads the 413), beyond which the connection is closed.
 */
function readBody(req: Request): Promise<Result<string | object>> {
  const parsed: unknown = req.body
  if (parsed !== undefined || req.readableEnded) {
    if (Number(req.headers['content-length']) > REVOKE_BODY_LIMIT) return Promise.resolve(error('body_too_large'))
    if (typeof parsed === 'object' && parsed !== null && !Buffer.isBuffer(parsed)) {
      return Promise.resolve({ ok: true, value: parsed })
    }
    const bytes = typeof parsed === 'string' ? Buffer.from(parsed) : Buffer.isBuffer(parsed) ? parsed : Buffer.alloc(0)
    return Promise.resolve(bytes.length > REVOKE_BODY_LIMIT ? error('body_too_large') : decode(bytes))
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (result: Result<string>) => {
      req.removeListener('data', onData)
      req.removeListener('end', onEnd)
      req.removeListener('error', onAbort)
      req.removeListener('aborted', onAbort)
      resolve(result)
    }
    const giveUp = () => {
      req.res?.set('Connection', 'close')
      req.resume()
      finish(error('body_too_large'))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= REVOKE_BODY_LIMIT) chunks.push(chunk)
      else if (size > REVOKE_BODY_LIMIT + DRAIN_LIMIT) giveUp()
    }
    const onEnd = () => finish(size > REVOKE_BODY_LIMIT ? error('body_too_large') : decode(Buffer.concat(chunks)))
    const onAbort = () => finish(error('invalid_body'))
    if (Number(req.headers['content-length']) > REVOKE_BODY_LIMIT + DRAIN_LIMIT) return giveUp()
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onAbort)
    req.on('aborted', onAbort)
  })
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function decode(bytes: Buffer): Result<string> {
  try {
    return { ok: true, value: utf8.decode(bytes) }
  } catch {
    return error('invalid_body')
  }
}

function fail(res: Response, status: number, error: RevokeErrorCode): void {
  res.status(status).json({ error })
}

function toBlockList(entries: unknown): BlockList {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new TypeError('"allowFrom" option must be a non-empty array of IP addresses or CIDR ranges')
  }
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', prefix, extra] = typeof entry === 'string' ? entry.split('/') : []
    const family = isIP(address)
    const bits = Number(prefix)
    const badPrefix = prefix !== undefined && !(/^\d+$/.test(prefix) && bits <= (family === 6 ? 128 : 32))
    if (family === 0 || extra !== undefined || badPrefix) {
      throw new TypeError(`"allowFrom" option must list IP addresses or CIDR ranges; got ${JSON.stringify(entry)}`)
    }
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, bits, type)
  }
  return list
}

function isAllowed(list: BlockList, ip: string | undefined): boolean {
  const family = ip === undefined ? 0 : isIP(ip)
  return family !== 0 && list.check(ip!, family === 6 ? 'ipv6' : 'ipv4')
}

/** A fixed-window counter: returns 0 while under the limit, else the seconds until the window resets. */
function fixedWindow(limit: unknown): () => number {
  const { max, windowMs } = (limit ?? {}) as { max?: unknown; windowMs?: unknown }
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0) {
    throw new TypeError('"rateLimit.max" option must be a positive integer')
  }
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
    throw new TypeError('"rateLimit.windowMs" option must be a positive number of milliseconds')
  }
  let start = 0
  let count = 0
  return () => {
    const now = Date.now()
    if (now - start >= windowMs) {
      start = now
      count = 0
    }
    if (++count <= max) return 0
    return Math.max(1, Math.ceil((start + windowMs - now) / 1000))
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}
