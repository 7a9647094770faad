import { createHash, randomUUID } from 'node:crypto'
import { Router, type Request } from 'express'
import { isAllowedOIDCRedirect, readOIDCAuthorizeParams } from './authorize-params.js'
import { grantedFields } from './claims.js'
import { GRANTS, LOGIN_LINK_TTL_MS, USER_FIELDS } from './defaults.js'
import { EMULATOR_ERRORS, errorReply, validationReply, type EmulatorErrorSpec } from './errors.js'
import { jsonRoute, type Reply } from './hooks.js'
import { appendParams, presentLogin } from './login-flow.js'
import { sendErrorPage } from './pages.js'
import { bearerToken, readClientCall, queryString } from './request.js'
import type { CodeRecord, EmulatorState } from './state.js'

const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/** The discovery document. Freedom ID publishes none; this one is the emulator's assumption. */
export function discoveryDocument(state: EmulatorState): Record<string, unknown> {
  return {
    issuer: state.issuer,
    authorization_endpoint: state.url('/openid'),
    token_endpoint: state.url('/api/v1/oidc/token'),
    userinfo_endpoint: state.url('/api/v1/oidc/userinfo'),
    ...(state.rules.jwks && { jwks_uri: state.url('/.well-known/jwks.json') }),
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [state.keys.alg],
    token_endpoint_auth_methods_supported: state.rules.bodyCredentials
      ? ['client_secret_basic', 'client_secret_post']
      : ['client_secret_basic'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [...GRANTS],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', ...(state.rules.authTimeClaim ? ['auth_time'] : []), ...USER_FIELDS],
    ...(state.settings.authorizationResponseIss && { authorization_response_iss_parameter_supported: true }),
  }
}

function pkceMatches(record: CodeRecord, verifier: string | undefined): boolean {
  if (record.codeChallenge === undefined) return verifier === undefined
  if (verifier === undefined || !PKCE_VERIFIER.test(verifier)) return false
  return createHash('sha256').update(verifier).digest('base64url') === record.codeChallenge
}

/** Revokes every token issued from a code presented twice (RFC 6749 §4.1.2). */
function revokeIssuedFrom(state: EmulatorState, record: CodeRecord): void {
  for (const id of record.tokenIds) {
    const token = state.tokens.get(id)
    if (token) token.revoked = true
  }
}

async function exchangeCode(state: EmulatorState, req: Request): Promise<Reply> {
  state.stats.token++
  const call = readClientCall(req, state)
  if (call.reply) return call.reply
  const { client, fields } = call
  const grantType = fields.required('grant_type')
  const code = fields.required('code')
  const redirectURI = fields.required('redirect_uri')
  const verifier = fields.optional('code_verifier')
  const revokeURI = fields.optionalURL('revoke_uri')
  if (fields.failed) return validationReply(fields.errors)
  if (grantType !== 'authorization_code') return errorReply(EMULATOR_ERRORS.UNSUPPORTED_GRANT_TYPE)

  const record = state.codes.get(code!)
  if (!record) return errorReply(EMULATOR_ERRORS.INVALID_CODE)
  /** A failed exchange of a known code: the `burnCodeOnFailure` rule makes the code unusable. */
  const refuse = (spec: EmulatorErrorSpec): Reply => {
    if (state.rules.burnCodeOnFailure) record.used = true
    return errorReply(spec)
  }
  if (record.protocol !== 'oidc' || record.clientID !== client.clientID) return refuse(EMULATOR_ERRORS.INVALID_CODE)
  if (record.used) {
    revokeIssuedFrom(state, record)
    return errorReply(EMULATOR_ERRORS.INVALID_CODE)
  }
  if (state.now() >= record.expiresAt) return errorReply(EMULATOR_ERRORS.INVALID_CODE)
  if (record.redirectURI !== redirectURI) return refuse(EMULATOR_ERRORS.REDIRECT_URI_MISMATCH)
  if (!pkceMatches(record, verifier)) return refuse(EMULATOR_ERRORS.INVALID_CODE_VERIFIER)
  record.used = true

  const tokens = state.issueTokens({
    protocol: 'oidc',
    clientID: client.clientID,
    sub: record.sub,
    scopes: record.scopes,
    revokeURI,
  })
  record.tokenIds.push(tokens.id)
  const iat = Math.floor(state.now() / 1000)
  const payload = {
    iss: state.issuer,
    sub: record.sub,
    aud: client.clientID,
    exp: iat + state.settings.accessTokenTTL,
    iat,
    nonce: record.nonce,
    ...(state.rules.authTimeClaim && { auth_time: record.authTime }),
  }
  const idToken = await state.keys.sign(payload, client.clientSecret, state.idTokenHooks.shift())
  return {
    status: 200,
    body: {
      access_token: tokens.accessToken,
      expires_in: state.settings.accessTokenTTL,
      refresh_token: tokens.refreshToken,
      token_type: 'Bearer',
      id_token: idToken,
      id: tokens.id,
    },
  }
}

/** The OIDC flavour: discovery, JWKS, `/openid`, token and userinfo (API.md §5). */
export function createOIDCRouter(state: EmulatorState): Router {
  const router = Router()

  // Counted even when switched off, so a test can see that a client looked for them.
  router.get('/.well-known/openid-configuration', (_req, res, next) => {
    state.stats.discovery++
    if (!state.rules.discovery) return next()
    res.set('Cache-Control', 'no-store').json(discoveryDocument(state))
  })

  router.get('/.well-known/jwks.json', (_req, res, next) => {
    state.stats.jwks++
    if (!state.rules.jwks) return next()
    res.set('Cache-Control', 'no-store').json(state.keys.publicJWKS())
  })

  router.get('/openid', (req, res) => {
    state.stats.authorize++
    state.sweep()
    const client = state.findClient(queryString(req, 'client_id'))
    if (!client) {
      sendErrorPage(res, 400, 'Unknown client_id: this application is not registered with Freedom ID.')
      return
    }
    const redirectURI = queryString(req, 'redirect_uri')
    if (redirectURI === undefined || !isAllowedOIDCRedirect(client, redirectURI, state.rules.exactRedirectURI)) {
      sendErrorPage(res, 400, 'The redirect_uri is not registered for this application.')
      return
    }
    const params = readOIDCAuthorizeParams(req)
    if (!params.ok) {
      res.redirect(
        302,
        appendParams(redirectURI, {
          error: 'invalid_request',
          error_description: params.description,
          state: params.state,
          iss: state.settings.authorizationResponseIss ? state.issuer : undefined,
        }),
      )
      return
    }
    const tx = {
      id: randomUUID(),
      protocol: 'oidc' as const,
      clientID: client.clientID,
      redirectURI,
      scopes: params.scopes,
      state: params.state,
      nonce: params.nonce,
      expiresAt: state.now() + LOGIN_LINK_TTL_MS,
      ...(params.codeChallenge === undefined ? {} : { codeChallenge: params.codeChallenge }),
    }
    presentLogin(state, tx, res)
  })

  const token = jsonRoute(state, (req) => exchangeCode(state, req), () => state.tokenHooks)
  router.post('/api/v1/oidc/token', token)
  router.post('/api/v1oidc//token', token)

  const userinfo = jsonRoute(state, (req) => {
    state.stats.userinfo++
    const record = state.liveAccessToken(bearerToken(req, state), 'oidc')
    const user = record && state.findUser(record.sub)
    if (!record || !user) return errorReply(EMULATOR_ERRORS.INVALID_ACCESS_TOKEN)
    return { status: 200, body: { sub: user.sub, ...grantedFields(user, record.scopes) } }
  }, () => state.userInfoHooks)
  router.get('/api/v1/oidc/userinfo', userinfo)
  router.post('/api/v1/oidc/userinfo', userinfo)

  return router
}
