import type { IncomingMessage, ServerResponse } from 'node:http'
import { debuglog } from 'node:util'
import { perSourceWindow } from './rate-limit.js'
import { extractId, readBody, type RevokeErrorCode, type RevokeRequest } from './revoke-request.js'
import type { SessionIndex } from './session-index/types.js'
import { createSourceFilter } from './source-filter.js'

export { REVOKE_BODY_LIMIT, type RevokeErrorCode } from './revoke-request.js'

const debug = debuglog('freedom-id')

/** The part of an express-session store the router uses: `destroy(sid, callback)`. */
export interface SessionStoreLike {
  destroy(sid: string, callback: (err?: unknown) => void): void
}

/**
 * The revoke route: plain `(req, res, next)` middleware, so it mounts on Express 4 and 5 alike (and on any framework
 * that passes Node's request and response), and importing it loads no framework.
 */
export type RevokeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void

/** Options of {@link createRevokeRouter}. */
export interface RevokeRouterOptions {
  /** Where the strategy bound token ids to session ids at login. Required unless `onRevoke` is given. */
  sessionIndex?: SessionIndex
  /**
   * The app's own sign-out, for apps without server sessions: called with the revoked token id (lowercase; the
   * `info.tokenId` / `params.id` the app saw at sign-in) to deny-list its JWTs, delete its refresh tokens, and so on.
   * With a `sessionIndex` as well, it is called after the bound sessions are ended. When it throws or rejects, the
   * route answers 503 and Freedom ID may call again, so it must be idempotent. Without a `sessionIndex`, return
   * `false` for a token id the app never issued, so that `rateLimit` counts the request. Default: none.
   */
  onRevoke?: (tokenId: string) => void | boolean | Promise<void | boolean>
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
   * A fixed-window limit per source address (`req.ip`; IPv6 per /64), counted in each process, on requests that do
   * not name a token id this app bound at sign-in (bad bodies, unknown ids, other methods): at most `max` per
   * `windowMs` milliseconds, beyond it 429 with `Retry-After` (seconds). A revoke of a bound token id is never
   * refused nor counted, so no caller can use up the provider's allowance. Default: no limit.
   */
  rateLimit?: { max: number; windowMs: number }
  /**
   * Milliseconds the route waits for the request body (after the headers); past it 408 and the connection is closed,
   * instead of holding it until Node's `requestTimeout` (300 s). Default `5000`.
   */
  bodyTimeout?: number
}

/** Default of {@link RevokeRouterOptions.bodyTimeout}, in milliseconds. */
export const REVOKE_BODY_TIMEOUT = 5000

/**
 * The route Freedom ID calls when a user signs out of Freedom ID: `POST revoke_uri` with `{"id": TOKEN_ID}` (the
 * token record id returned with the tokens), unauthenticated per the provider docs
 * ({@link https://docs.freedompay.kz/api-12108733 | Token exchange}).
 *
 * It reads a JSON body (also when `Content-Type` is missing or another type, since the provider's is undocumented) or
 * a form body, requires `id` to be a UUID, revokes it in the session index (which also remembers it for the guard,
 * if the app bound it at sign-in; an unknown id costs one lookup and writes nothing), destroys the bound sessions in
 * `sessionStore`, calls `onRevoke` (apps without sessions), and answers 204 whether the id was known or not, on
 * repeats too. Bad bodies get 400, bodies over 4 KiB 413, a body slower than `bodyTimeout` 408, other methods 405
 * with `Allow: POST`; a failing or timed-out index or store, or a failing `onRevoke`, 503 (logged with
 * `NODE_DEBUG=freedom-id`), never 500. Every answer has `Cache-Control: no-store`; the route sets no cookie, needs no
 * session or CSRF middleware, and should be mounted before them.
 *
 * The route is not authenticated, so mount it under a path with an unguessable segment and register that URL as
 * `revokeURL`: `app.use('/auth/freedom-id/revoke/' + secret, createRevokeRouter({ sessionIndex, sessionStore }))`.
 * `allowFrom` and `rateLimit` harden it further. It answers requests for the mount point itself (`app.use(path, …)`,
 * or a route such as `app.post(path, …)`); a longer path goes on to `next()`.
 *
 * @throws TypeError when an option is invalid.
 */
export function createRevokeRouter(options: RevokeRouterOptions): RevokeHandler {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRevokeRouter requires options')
  const { sessionIndex, sessionStore, onRevoke } = options
  if (onRevoke !== undefined && typeof onRevoke !== 'function') throw new TypeError('"onRevoke" option must be a function')
  if (sessionIndex === undefined && onRevoke === undefined) {
    throw new TypeError('createRevokeRouter requires a sessionIndex option, an onRevoke option, or both')
  }
  if (sessionIndex !== undefined && typeof sessionIndex?.revoke !== 'function') {
    throw new TypeError('"sessionIndex" option must be a session index (MemorySessionIndex, RedisSessionIndex)')
  }
  if (sessionStore !== undefined && sessionIndex === undefined) {
    throw new TypeError('"sessionStore" option needs a sessionIndex option: without one, no session id is known to destroy')
  }
  if (sessionStore !== undefined && typeof sessionStore?.destroy !== 'function') {
    throw new TypeError('"sessionStore" option must have a destroy(sid, callback) method')
  }
  const allowed = options.allowFrom === undefined ? undefined : createSourceFilter(options.allowFrom)
  const limiter = options.rateLimit === undefined ? undefined : perSourceWindow(options.rateLimit)
  const bodyTimeout = options.bodyTimeout ?? REVOKE_BODY_TIMEOUT
  if (typeof bodyTimeout !== 'number' || !Number.isSafeInteger(bodyTimeout) || bodyTimeout <= 0) {
    throw new TypeError('"bodyTimeout" option must be a positive integer number of milliseconds')
  }

  return (request, res, next) => {
    const req = request as RevokeRequest
    if (next && !atMountPoint(req)) return next()
    void handle(req, res)
  }

  async function handle(req: RevokeRequest, res: ServerResponse): Promise<void> {
    res.setHeader('Cache-Control', 'no-store')
    // Counts a request that names no bound token id; true when it was over the limit and got its 429.
    const limited = (): boolean => {
      const retryAfter = limiter?.hit(req.ip ?? req.socket.remoteAddress)
      if (!retryAfter) return false
      res.setHeader('Retry-After', String(retryAfter))
      fail(res, 429, 'rate_limited')
      return true
    }
    try {
      if (allowed && !allowed(req.ip ?? req.socket.remoteAddress)) return fail(res, 403, 'forbidden')
      if (req.method !== 'POST') {
        if (limited()) return
        res.setHeader('Allow', 'POST')
        return fail(res, 405, 'method_not_allowed')
      }
      const encoding = req.headers['content-encoding']
      if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
        if (limited()) return
        return fail(res, 415, 'unsupported_encoding')
      }
      const body = await readBody(req, res, bodyTimeout)
      if (!body.ok) {
        if (limited()) return
        return fail(res, STATUS_OF[body.error] ?? 400, body.error)
      }
      const id = extractId(req, body.value)
      if (!id.ok) {
        if (limited()) return
        return fail(res, 400, id.error)
      }
      const tokenId = id.value.toLowerCase()
      let known = sessionIndex ? await revoke(sessionIndex, sessionStore, tokenId) : true
      if (onRevoke && (await onRevoke(tokenId)) === false && !sessionIndex) known = false
      if (!known && limited()) return
      res.statusCode = 204
      res.end()
    } catch (err) {
      debug('revoke: the session index, the store or onRevoke failed: %s', describeError(err))
      if (!res.headersSent) fail(res, 503, 'store_unavailable')
    }
  }
}

/**
 * Whether the request is for the path the handler is mounted at: under `app.use(path, …)` the remaining path is `/`
 * (or empty); under a route (`app.post(path, …)`), `req.route` is set.
 */
function atMountPoint(req: RevokeRequest): boolean {
  if (req.route !== undefined) return true
  const url = req.url ?? '/'
  const end = url.indexOf('?')
  const path = end === -1 ? url : url.slice(0, end)
  return path === '/' || path === ''
}

const STATUS_OF: Partial<Record<RevokeErrorCode, number>> = { body_too_large: 413, request_timeout: 408 }

/** Revokes `tokenId` and destroys its sessions; false when the app never bound it (nothing was written). */
async function revoke(index: SessionIndex, store: SessionStoreLike | undefined, tokenId: string): Promise<boolean> {
  const sessionIds = await index.revoke(tokenId)
  if (sessionIds === undefined) return false
  if (store === undefined || sessionIds.length === 0) return true
  const results = await Promise.allSettled(sessionIds.map((sid) => destroy(store, sid)))
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ sid: sessionIds[i]!, reason: r.reason }] : []))
  if (failed.length === 0) return true
  // Bound again so that the provider's retry finds them; the revoked mark already covers them for the guard.
  await Promise.allSettled(failed.map(({ sid }) => index.bind(tokenId, sid)))
  throw failed[0]!.reason
}

function destroy(store: SessionStoreLike, sid: string): Promise<void> {
  return new Promise((resolve, reject) => {
    store.destroy(sid, (err) => (err ? reject(err) : resolve()))
  })
}

function fail(res: ServerResponse, status: number, error: RevokeErrorCode): void {
  const body = JSON.stringify({ error })
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.end(body)
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}
