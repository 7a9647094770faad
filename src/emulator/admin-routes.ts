import { Router } from 'express'
import { isRegisteredOrigin } from './authorize-params.js'
import { validationReply } from './errors.js'
import { logout } from './logout.js'
import { sendHomePage } from './pages.js'
import { bodyObject, FieldReader } from './request.js'
import type { EmulatorState } from './state.js'
import type { EmulatorTokenInfo } from './types.js'

/** Every token record, as `Emulator.tokens()` lists it. */
export function listTokens(state: EmulatorState): EmulatorTokenInfo[] {
  return [...state.tokens.values()].map((r) => ({
    id: r.id,
    originalId: r.originalId,
    sub: r.sub,
    clientID: r.clientID,
    ...(r.revokeURI === undefined ? {} : { revokeURI: r.revokeURI }),
    protocol: r.protocol,
    revoked: r.revoked,
    accessToken: r.accessToken,
    refreshToken: r.refreshToken,
    scopes: [...r.scopes],
  }))
}

/** The emulator's own pages and controls: `GET /`, `POST /__emulator/logout`, `GET /__emulator/tokens`. */
export function createAdminRouter(state: EmulatorState): Router {
  const router = Router()

  router.get('/', (_req, res) => {
    const now = state.now()
    const entries = state.users.map((user) => ({
      user,
      tokens: [...state.tokens.values()].filter(
        (t) => t.sub === user.sub && !t.revoked && (now < t.accessExpiresAt || now < t.refreshExpiresAt),
      ),
    }))
    sendHomePage(res, state.issuer, entries)
  })

  router.get('/__emulator/tokens', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ tokens: listTokens(state) })
  })

  router.post('/__emulator/logout', async (req, res) => {
    const fromForm = !req.is('application/json')
    const body = bodyObject(req)
    const fields = new FieldReader(body ?? {})
    if (!body) fields.fail('body', 'The body must be an object.')
    const sub = fields.optional('sub')
    const tokenID = fields.optional('token_id')
    const returnTo = fields.optionalURL('return_to')
    if (!fields.failed && sub === undefined && tokenID === undefined) fields.fail('sub', 'The Sub field is required.')
    // return_to is no open redirect: only the origins of the token's client (any client's for a sub) or the emulator's.
    if (!fields.failed && returnTo !== undefined) {
      const client = tokenID === undefined ? undefined : state.findClient(state.tokens.get(tokenID)?.clientID)
      const clients = client ? [client] : state.clients
      const own = new URL(returnTo).origin === new URL(state.issuer).origin
      if (!own && !clients.some((c) => isRegisteredOrigin(c, returnTo))) {
        fields.fail('return_to', "The Return To must be on an origin of the client's registered redirect URIs.")
      }
    }
    if (fields.failed) {
      const reply = validationReply(fields.errors)
      res.status(reply.status).json(reply.body)
      return
    }
    const deliveries = await logout(state, sub !== undefined ? { sub } : { tokenId: tokenID! })
    if (fromForm) res.redirect(303, returnTo ?? '/')
    else res.set('Cache-Control', 'no-store').json({ deliveries })
  })

  return router
}
