import express, { type ErrorRequestHandler, type Express } from 'express'
import { createAdminRouter } from './admin-routes.js'
import { EMULATOR_ERRORS, errorReply, type EmulatorErrorSpec } from './errors.js'
import { createDecisionRouter } from './login-flow.js'
import { createOAuth2Router } from './oauth2-routes.js'
import { createOIDCRouter } from './oidc-routes.js'
import { createProfileRouter } from './profile-routes.js'
import type { EmulatorState } from './state.js'

const BODY_LIMIT = '64kb'

function sendSpec(res: express.Response, spec: EmulatorErrorSpec): void {
  const reply = errorReply(spec)
  res.status(reply.status).set(reply.headers ?? {}).json(reply.body)
}

/** Turns body-parser and routing faults into 4xx Freedom ID error bodies; anything else is a 500 without details. */
const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (res.headersSent) {
    next(err)
    return
  }
  const status = (err as { status?: unknown }).status
  const type = (err as { type?: unknown }).type
  if (type === 'entity.too.large' || status === 413) sendSpec(res, EMULATOR_ERRORS.BODY_TOO_LARGE)
  else if (typeof status === 'number' && status >= 400 && status < 500) {
    sendSpec(res, { ...EMULATOR_ERRORS.MALFORMED_REQUEST, status })
  } else {
    res.status(500).json({ error: { message: 'Emulator internal error.', code: 100500 } })
  }
}

/** The emulator's express app: body parsers capped at 64 KiB, every router, a JSON 404 and the error handler. */
export function createApp(state: EmulatorState): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use(express.json({ limit: BODY_LIMIT, type: state.rules.plusJson ? ['application/json', 'application/*+json'] : 'application/json' }))
  app.use(express.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 100 }))
  app.use(createOIDCRouter(state))
  app.use(createOAuth2Router(state))
  app.use(createProfileRouter(state))
  app.use(createDecisionRouter(state))
  app.use(createAdminRouter(state))
  app.use((_req, res) => sendSpec(res, EMULATOR_ERRORS.NOT_FOUND))
  app.use(errorHandler)
  return app
}
