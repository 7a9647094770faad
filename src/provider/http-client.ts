import { Agent, request, type Dispatcher } from 'undici'
import { FreedomIdError } from '../errors.js'

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** Milliseconds a whole call (connect, headers and body) may take. Default `10000`. */
  timeout?: number
  /** Largest response body accepted, in bytes. Default 1 MiB. */
  maxResponseBytes?: number
  /** An undici dispatcher to use instead of the client's own keep-alive `Agent`. */
  dispatcher?: Dispatcher
}

/** One call to the provider. */
export interface ProviderRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT'
  url: string
  /** What the call is, for error messages: `'token'`, `'userinfo'`, `'JWKS'` … */
  operation: string
  /**
   * Sends `Authorization: Basic base64(username:password)`: with `encoding: 'form'` each part form-urlencoded first
   * (RFC 6749 §2.3.1), else raw as Freedom ID documents it.
   */
  basic?: { username: string; password: string; encoding?: 'raw' | 'form' }
  /** Sends `Authorization: Bearer <token>`. */
  bearer?: string
  /** A JSON body. */
  json?: unknown
  /** A form-encoded body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>
  headers?: Record<string, string>
}

/** The provider's answer: status and the parsed JSON body (`undefined` for an empty body). */
export interface ProviderResponse {
  status: number
  body: unknown
  /** The body as text when the answer is `application/jwt` (a signed userinfo); `body` is then `undefined`. */
  jwt?: string
}

const DEFAULT_TIMEOUT = 10_000
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024

/** Strips credentials and the query from a URL before it goes into a message. */
export function describeURL(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(invalid URL)'
  }
}

/**
 * `application/x-www-form-urlencoded` encoding of one value (the WHATWG URL standard's serializer), as RFC 6749
 * §2.3.1 and Appendix B want it for Basic credentials: every byte but `A-Z a-z 0-9 * - . _` percent-encoded as
 * UTF-8, a space as `+`.
 */
export function formURLEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}

function basicHeader(username: string, password: string, encoding: 'raw' | 'form' = 'raw'): string {
  // Freedom ID documents base64(CLIENT_ID:CLIENT_SECRET) of the raw values; RFC 6749 §2.3.1 form-encodes each part
  // first. For plain alphanumeric ids and secrets both agree.
  const [user, pass] = encoding === 'form' ? [formURLEncode(username), formURLEncode(password)] : [username, password]
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
}

/**
 * The provider calls' HTTP client: undici `request` on a keep-alive `Agent`, JSON or form bodies, Basic or Bearer
 * authorization, one timeout over the whole call, and a cap on the response size. Error messages name the
 * operation and the URL without its query; they never include a header or a body that was sent.
 */
export class HttpClient {
  /** @internal */ readonly _timeout: number
  /** @internal */ readonly _maxResponseBytes: number
  /** @internal */ readonly _dispatcher: Dispatcher
  /** @internal */ readonly _ownsDispatcher: boolean

  constructor(options: HttpClientOptions = {}) {
    this._timeout = options.timeout ?? DEFAULT_TIMEOUT
    this._maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this._ownsDispatcher = options.dispatcher === undefined
    this._dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 64 })
  }

  /** Sends the request and returns the status and parsed JSON body. Throws a {@link FreedomIdError}. */
  async send(req: ProviderRequest): Promise<ProviderResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers }
    if (req.basic) headers.authorization = basicHeader(req.basic.username, req.basic.password, req.basic.encoding)
    if (req.bearer !== undefined) headers.authorization = `Bearer ${req.bearer}`
    let body: string | undefined
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(req.json)
    } else if (req.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(req.form).toString()
    }

    const where = `${req.operation} request to ${describeURL(req.url)}`
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, this._timeout)
    try {
      const res = await request(req.url, {
        method: req.method,
        headers,
        body,
        signal: controller.signal,
        dispatcher: this._dispatcher,
      })
      const text = await this._readBody(res.body, where)
      const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      if (type === 'application/jwt' && res.statusCode < 300) return { status: res.statusCode, body: undefined, jwt: text.trim() }
      return { status: res.statusCode, body: parseJSON(text, res.statusCode, where) }
    } catch (err) {
      if (err instanceof FreedomIdError) throw err
      if (timedOut) {
        throw new FreedomIdError('PROVIDER_TIMEOUT', `The ${where} did not complete within ${this._timeout} ms.`, {
          cause: err,
        })
      }
      const code = (err as { code?: string }).code
      throw new FreedomIdError(
        'PROVIDER_UNREACHABLE',
        `The ${where} failed${code ? ` (${code})` : ''}: the provider could not be reached.`,
        { cause: err },
      )
    } finally {
      clearTimeout(timer)
    }
  }

  /** @internal */
  async _readBody(stream: Dispatcher.ResponseData['body'], where: string): Promise<string> {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of stream) {
      size += (chunk as Buffer).length
      if (size > this._maxResponseBytes) {
        stream.destroy()
        throw new FreedomIdError(
          'RESPONSE_TOO_LARGE',
          `The ${where} returned more than ${this._maxResponseBytes} bytes.`,
        )
      }
      chunks.push(chunk as Buffer)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  /** Closes the keep-alive connections of the client's own agent. */
  async close(): Promise<void> {
    if (this._ownsDispatcher) await this._dispatcher.close()
  }
}

function parseJSON(text: string, status: number, where: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new FreedomIdError(
      status >= 500 ? 'PROVIDER_HTTP_ERROR' : 'RESPONSE_NOT_JSON',
      `The ${where} answered HTTP ${status} with a body that is not JSON.`,
      { cause },
    )
  }
}
