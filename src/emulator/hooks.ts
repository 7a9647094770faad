import type { Request, RequestHandler, Response } from 'express'
import type { EmulatorState } from './state.js'
import type { ResponseTamper } from './types.js'

/** A JSON answer a route computes; {@link jsonRoute} sends it, or what a tamper puts in its place. */
export interface Reply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

/**
 * Takes the next queued tamper and waits out its `delay`. Resolves early when the client goes away,
 * with `aborted` set, so that a request the client gave up on changes nothing.
 */
async function takeHook(
  queue: ResponseTamper[] | undefined,
  res: Response,
): Promise<{ hook: ResponseTamper | undefined; aborted: boolean }> {
  const hook = queue?.shift()
  const delay = hook?.delay ?? 0
  if (delay <= 0) return { hook, aborted: false }
  const aborted = await new Promise<boolean>((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer)
      resolve(true)
    }
    const timer = setTimeout(() => {
      res.off('close', onClose)
      resolve(false)
    }, delay)
    timer.unref()
    res.once('close', onClose)
  })
  return { hook, aborted }
}

/** Statuses a web server's framework answers before the application runs: they stay as they are. */
const TRANSPORT_STATUSES = new Set([413, 415])

/**
 * With the `errorsWith200` rule, an error reply (a 4xx with Freedom ID's `{"error":…}` body) goes out as HTTP 200,
 * as the docs file their error examples, and without the `WWW-Authenticate` header that only a 401 carries.
 * 413 and 415 keep their status.
 */
export function asSent(reply: Reply, errorsWith200: boolean): Reply {
  const isError =
    reply.status >= 400 &&
    !TRANSPORT_STATUSES.has(reply.status) &&
    typeof reply.body === 'object' &&
    reply.body !== null &&
    'error' in reply.body
  if (!errorsWith200 || !isError) return reply
  return { status: 200, body: reply.body }
}

function send(res: Response, computed: Reply, hook: ResponseTamper | undefined, errorsWith200: boolean): void {
  const reply = asSent(computed, errorsWith200)
  res
    .status(hook?.status ?? reply.status)
    .set('Cache-Control', 'no-store')
    .set('Pragma', 'no-cache')
    .set(reply.headers ?? {})
    .type(hook?.contentType ?? 'application/json')
  if (hook?.rawBody !== undefined) res.send(hook.rawBody)
  else res.send(JSON.stringify(hook?.body !== undefined ? hook.body : reply.body))
}

/**
 * Wraps a JSON route: takes the endpoint's next tamper (when the route has a queue), waits its delay,
 * runs the route and sends its reply with the `errorsWith200` rule and the tamper applied. Errors go to express's
 * error handler.
 */
export function jsonRoute(
  state: EmulatorState,
  handler: (req: Request, res: Response) => Reply | Promise<Reply>,
  queue?: () => ResponseTamper[],
): RequestHandler {
  return async (req, res) => {
    const { hook, aborted } = await takeHook(queue?.(), res)
    if (aborted) return
    const reply = await handler(req, res)
    send(res, reply, hook, state.rules.errorsWith200)
  }
}
