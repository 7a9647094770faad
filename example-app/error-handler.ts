import type { ErrorRequestHandler, RequestHandler } from 'express'
import { isFreedomIdError } from '../src/index.js'
import { errorPage, type ProviderLabel } from './views.js'

interface Described {
  status: number
  message: string
  code?: string
}

function describeError(err: unknown): Described {
  if (isFreedomIdError(err)) {
    const message = err.status >= 500 ? `Freedom ID could not complete the sign-in. ${err.message}` : err.message
    return { status: err.status, message, code: err.code }
  }
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown }
  const status = Number(e.status ?? e.statusCode)
  if (Number.isInteger(status) && status >= 400 && status < 600) {
    const exposed = e.expose === true && typeof e.message === 'string'
    return { status, message: exposed ? (e.message as string) : status < 500 ? 'The request could not be handled.' : 'The app failed to handle this request.' }
  }
  return { status: 500, message: 'The app failed to handle this request.' }
}

/**
 * Renders any error as a short page with its status (FreedomIdError: its own, 502/504 for provider faults) and a
 * message for people, never a stack trace. Server faults are logged through `log` with the method and path only.
 */
export function createErrorHandler(provider: ProviderLabel, log: (line: string) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, message, code } = describeError(err)
    if (status >= 500) {
      const name = code ?? (err instanceof Error ? err.name : typeof err)
      log(`${req.method} ${req.path} failed with ${status}: ${name}: ${err instanceof Error ? err.message : String(err)}`)
    }
    if (res.headersSent) {
      req.socket.destroy()
      return
    }
    res.status(status).set('Cache-Control', 'no-store').type('html').send(errorPage({ provider, status, message, code }))
  }
}

/** Answers every request no route took with a 404 page. */
export function notFound(provider: ProviderLabel): RequestHandler {
  return (_req, res) => {
    res.status(404).set('Cache-Control', 'no-store').type('html').send(errorPage({ provider, status: 404, message: 'There is no page at this address.' }))
  }
}
