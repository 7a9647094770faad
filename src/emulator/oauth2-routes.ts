import { randomUUID } from 'node:crypto'
import { Router, type Request } from 'express'
import { isAllowedOAuth2Redirect } from './authorize-params.js'
import { grantedFields } from './claims.js'
import { GRANTS, LOGIN_LINK_TTL_MS } from './defaults.js'
import { EMULATOR_ERRORS, errorReply, validationReply } from './errors.js'
import { jsonRoute, type Reply } from './hooks.js'
import { presentLogin } from './login-flow.js'
import { sendErrorPage } from './pages.js'
import { bearerToken, readClientCall, isHttpURL, queryString } from './request.js'
import type { EmulatorState, TokenRecord } from './state.js'
import { formatExpiry } from './time.js'

function tokenBody(record: TokenRecord): Record<string, string> {
  return {
    id: record.id,
    access_token: record.accessToken,
    refresh_token: record.refreshToken,
    access_expire_at: formatExpiry(record.accessExpiresAt),
    refresh_expire_at: formatExpiry(record.refreshExpiresAt),
  }
}

function createAuthorizationLink(state: EmulatorState, req: Request): Reply {
  state.stats.authorize++
  state.sweep()
  const call = readClientCall(req, state)
  if (call.reply) return call.reply
  const { body, client, fields } = call
  const redirectURI = fields.required('redirect_uri')
  if (redirectURI !== undefined && !isHttpURL(redirectURI)) fields.fail('redirect_uri', 'The Redirect uri must be a valid URL.')
  else if (redirectURI !== undefined && !isAllowedOAuth2Redirect(client, redirectURI, state.rules.exactRedirectURI)) {
    fields.fail('redirect_uri', 'The selected redirect uri is invalid.')
  }
  const grants = body.grants
  if (grants === undefined || grants === null || (Array.isArray(grants) && grants.length === 0)) {
    fields.fail('grants', 'The Grants field is required.')
  } else if (!Array.isArray(grants)) {
    fields.fail('grants', 'The Grants must be an array.')
  } else {
    grants.forEach((g: unknown, i) => {
      if (typeof g !== 'string' || !(GRANTS as readonly string[]).includes(g)) {
        fields.fail(`grants.${i}`, `The selected grants.${i} is invalid.`)
      }
    })
  }
  if (fields.failed) return validationReply(fields.errors)

  const expireAt = Math.floor((state.now() + LOGIN_LINK_TTL_MS) / 1000)
  const trackID = randomUUID()
  state.transactions.set(trackID, {
    id: trackID,
    protocol: 'oauth2',
    clientID: client.clientID,
    redirectURI: redirectURI!,
    scopes: [...new Set(grants as string[])],
    expiresAt: expireAt * 1000,
  })
  const link = new URL(state.url('/login'))
  link.searchParams.set('track_id', trackID)
  link.searchParams.set('expire_at', String(expireAt))
  return { status: 200, body: { redirect_uri: link.href } }
}

function exchangeCode(state: EmulatorState, req: Request): Reply {
  state.stats.token++
  const call = readClientCall(req, state)
  if (call.reply) return call.reply
  const { client, fields } = call
  const code = fields.required('authorization_code')
  const revokeURI = fields.optionalURL('revoke_uri')
  if (fields.failed) return validationReply(fields.errors)
  const record = state.codes.get(code!)
  if (!record) return errorReply(EMULATOR_ERRORS.INVALID_CODE)
  if (record.protocol !== 'oauth2' || record.clientID !== client.clientID) {
    if (state.rules.burnCodeOnFailure) record.used = true
    return errorReply(EMULATOR_ERRORS.INVALID_CODE)
  }
  if (record.used) {
    for (const id of record.tokenIds) state.tokens.get(id)!.revoked = true
    return errorReply(EMULATOR_ERRORS.INVALID_CODE)
  }
  if (state.now() >= record.expiresAt) return errorReply(EMULATOR_ERRORS.INVALID_CODE)
  record.used = true
  const tokens = state.issueTokens({
    protocol: 'oauth2',
    clientID: client.clientID,
    sub: record.sub,
    scopes: record.scopes,
    revokeURI,
  })
  record.tokenIds.push(tokens.id)
  return { status: 200, body: tokenBody(tokens) }
}

function refresh(state: EmulatorState, req: Request): Reply {
  state.stats.token++
  const token = bearerToken(req, state)
  const old = token === undefined ? undefined : state.byRefreshToken.get(token)
  const foreign = old !== undefined && state.rules.flavourBoundTokens && old.protocol !== 'oauth2'
  if (!old || foreign || old.revoked || state.now() >= old.refreshExpiresAt) {
    return errorReply(EMULATOR_ERRORS.INVALID_REFRESH_TOKEN)
  }
  old.revoked = true
  const next = state.issueTokens(old)
  return { status: 200, body: tokenBody(next) }
}

/** The OAuth2 flavour: authorization link, sign-in page, token exchange and refresh, user (API.md §4). */
export function createOAuth2Router(state: EmulatorState): Router {
  const router = Router()

  router.post(
    '/api/v1/oauth/authorize',
    jsonRoute(state, (req) => createAuthorizationLink(state, req), () => state.authorizationLinkHooks),
  )

  router.get('/login', (req, res) => {
    const trackID = queryString(req, 'track_id')
    const tx = trackID === undefined ? undefined : state.transactions.get(trackID)
    const valid =
      tx !== undefined &&
      tx.protocol === 'oauth2' &&
      state.now() < tx.expiresAt &&
      queryString(req, 'expire_at') === String(tx.expiresAt / 1000)
    if (!valid) {
      sendErrorPage(res, 400, 'This sign-in link is invalid or has expired. Start again from the application.')
      return
    }
    presentLogin(state, tx, res)
  })

  router.post('/api/v1/oauth/token', jsonRoute(state, (req) => exchangeCode(state, req), () => state.tokenHooks))
  router.patch('/api/v1/oauth/token', jsonRoute(state, (req) => refresh(state, req), () => state.tokenHooks))

  router.get(
    '/api/v1/oauth/user',
    jsonRoute(state, (req) => {
      state.stats.userinfo++
      const record = state.liveAccessToken(bearerToken(req, state), 'oauth2')
      const user = record && state.findUser(record.sub)
      if (!record || !user) return errorReply(EMULATOR_ERRORS.INVALID_ACCESS_TOKEN)
      return { status: 200, body: { id: user.sub, ...grantedFields(user, record.scopes) } }
    }, () => state.userInfoHooks),
  )

  return router
}
