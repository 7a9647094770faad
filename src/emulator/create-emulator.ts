import { createApp } from './app.js'
import { listTokens } from './admin-routes.js'
import {
  DEFAULT_ACCESS_TOKEN_TTL,
  DEFAULT_CODE_TTL,
  DEFAULT_PROFILE_DELAY,
  DEFAULT_REFRESH_TOKEN_TTL,
  DEFAULT_USERS,
  DEMO_CLIENT,
} from './defaults.js'
import { KeyStore } from './keys.js'
import { logout } from './logout.js'
import { resolveRules } from './rules.js'
import { EmulatorState } from './state.js'
import type { Emulator, EmulatorOptions, EmulatorSigningAlg } from './types.js'

const ALGS: readonly EmulatorSigningAlg[] = ['RS256', 'ES256', 'PS256', 'EdDSA', 'HS256']

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`"${name}" option must be a non-negative number`)
  }
  return value
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" option must be a boolean`)
  return value
}

function checkIssuer(issuer: string, trailingSlash: boolean | undefined): string {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw new TypeError('"issuer" option must be an absolute http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('"issuer" option must be an absolute http(s) URL')
  }
  if (trailingSlash === undefined) return issuer
  return `${issuer.replace(/\/+$/, '')}${trailingSlash ? '/' : ''}`
}

/**
 * Creates a Freedom ID emulator without a socket: `emulator.app` is an express app to mount or drive with supertest.
 * Throws a `TypeError` for an invalid option.
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const rules = resolveRules(options)
  const alg = options.idTokenAlg ?? (rules.strict ? 'HS256' : 'RS256')
  if (!ALGS.includes(alg)) throw new TypeError(`"idTokenAlg" option must be one of ${ALGS.join(', ')}`)
  const clients = options.clients
    ? [...options.clients]
    : [{ clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret }]
  const users = options.users ? [...options.users] : DEFAULT_USERS.map((u) => ({ ...u }))
  const state = new EmulatorState(
    checkIssuer(options.issuer ?? 'http://localhost', options.issuerTrailingSlash),
    clients,
    users,
    false,
    new KeyStore(alg, options.signingKey),
    {
      accessTokenTTL: positive('accessTokenTTL', options.accessTokenTTL, DEFAULT_ACCESS_TOKEN_TTL),
      refreshTokenTTL: positive('refreshTokenTTL', options.refreshTokenTTL, DEFAULT_REFRESH_TOKEN_TTL),
      codeTTL: positive('codeTTL', options.codeTTL, DEFAULT_CODE_TTL),
      profileDelay: positive('profileDelay', options.profileDelay, DEFAULT_PROFILE_DELAY),
      authorizationResponseIss: flag('authorizationResponseIss', options.authorizationResponseIss),
    },
    options.now ?? Date.now,
    Object.freeze(rules),
  )
  const setAutoLogin = (sub: string | false): void => {
    if (sub !== false && !state.findUser(sub)) throw new TypeError(`"autoLogin" must be the sub of a known user`)
    state.autoLogin = sub
  }
  setAutoLogin(options.autoLogin ?? false)

  return {
    app: createApp(state),
    get issuer() {
      return state.issuer
    },
    clients,
    users,
    stats: state.stats,
    setAutoLogin,
    nextIdToken: (t) => void state.idTokenHooks.push(t),
    nextTokenResponse: (t) => void state.tokenHooks.push(t),
    nextUserInfoResponse: (t) => void state.userInfoHooks.push(t),
    nextAuthorizationLinkResponse: (t) => void state.authorizationLinkHooks.push(t),
    nextProfileRequestResponse: (t) => void state.profileRequestHooks.push(t),
    nextProfileStatusResponse: (t) => void state.profileStatusHooks.push(t),
    rules: state.rules,
    rotateKeys: async () => state.keys.rotate(),
    publicJWKS: () => state.keys.publicJWKS(),
    publicKeyPEM: () => state.keys.publicKeyPEM(),
    tokens: () => listTokens(state),
    logout: (target) => logout(state, target),
    reset: () => state.reset(),
  }
}
