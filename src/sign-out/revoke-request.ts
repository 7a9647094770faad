import type { IncomingMessage, ServerResponse } from 'node:http'

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
  /** 408: the body did not arrive within `bodyTimeout`. */
  | 'request_timeout'
  /** 429: `rateLimit` exceeded; see `Retry-After`. */
  | 'rate_limited'
  /** 503: the session index or the session store failed; the provider may retry. */
  | 'store_unavailable'

/**
 * What the revoke route reads of a request: Node's request, plus what Express (or another framework) may have added.
 * @internal
 */
export interface RevokeRequest extends IncomingMessage {
  body?: unknown
  ip?: string
  route?: unknown
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: RevokeErrorCode }

const error = (code: RevokeErrorCode): { ok: false; error: RevokeErrorCode } => ({ ok: false, error: code })

/** The body's `id` when it is one UUID. A form body is read as a form; any other body, typed or not, as JSON. */
export function extractId(req: IncomingMessage, body: string | object): Result<string> {
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
 * a limit (so that the client reads the 413), beyond which the connection is closed. A body not complete within
 * `timeoutMs` (`0`: no limit) gives `request_timeout`, and the connection is closed after the answer.
 */
export function readBody(req: RevokeRequest, res?: ServerResponse, timeoutMs = 0): Promise<Result<string | object>> {
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
    let timer: NodeJS.Timeout | undefined
    const finish = (result: Result<string>) => {
      clearTimeout(timer)
      req.removeListener('data', onData)
      req.removeListener('end', onEnd)
      req.removeListener('error', onAbort)
      req.removeListener('aborted', onAbort)
      resolve(result)
    }
    const giveUp = () => {
      res?.setHeader('Connection', 'close')
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
    // A client gone before the route started reading (during a slow middleware) emits nothing more.
    if (req.destroyed) return onAbort()
    if (Number(req.headers['content-length']) > REVOKE_BODY_LIMIT + DRAIN_LIMIT) return giveUp()
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        res?.setHeader('Connection', 'close')
        finish(error('request_timeout'))
      }, timeoutMs)
    }
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

