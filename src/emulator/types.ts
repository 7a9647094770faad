import type { Express } from 'express'
import type { JWK } from 'jose'

/** A partner application registered with the emulator. */
export interface EmulatorClient {
  clientID: string
  clientSecret: string
  /**
   * Exact-match list of accepted redirect URIs. When omitted, any http(s) URL on a loopback host
   * (`localhost`, `127.0.0.1`, `[::1]`) is accepted by the OIDC flow and any http(s) URL by the OAuth2 flow.
   * For the OAuth2 flow the query string is ignored in the comparison, since a client may put its own `state` there.
   */
  redirectURIs?: string[]
  /** Name shown on the consent page. Default: the `clientID`. */
  name?: string
}

/** A Freedom ID account. Field names are the grant names without `read.` (DECISIONS.md row 10). */
export interface EmulatorUser {
  /** The freedom_id: the id_token `sub`, the OAuth2 user `id`. */
  sub: string
  firstname?: string
  lastname?: string
  patronymic?: string
  email?: string
  emails?: string[]
  phone?: string
  phones?: string[]
  /** `YYYY-MM-DD`. */
  date_of_birth?: string
  gender?: 'M' | 'F'
  /** Three-letter country code, e.g. `KAZ`. */
  country?: string
  nationality?: string
  identifier?: string
  cards?: unknown[]
  /** How this user's profile requests end. Default `'completed'`. */
  profileOutcome?: 'completed' | 'failed'
}

/** Signing algorithms the emulator can use for id_tokens. */
export type EmulatorSigningAlg = 'RS256' | 'ES256' | 'PS256' | 'EdDSA' | 'HS256'

/** Options of {@link createEmulator}. */
export interface EmulatorOptions {
  /** The `iss` claim and the base of every URL the emulator advertises. Default `'http://localhost'` (`startEmulator`: its own URL). */
  issuer?: string
  /** Registered clients. Default: one client, {@link DEMO_CLIENT}. */
  clients?: EmulatorClient[]
  /** Accounts that can sign in. Default: {@link DEFAULT_USERS}. */
  users?: EmulatorUser[]
  /** `sub` of a user signed in at once, skipping the consent page. Default `false` (the page is shown). */
  autoLogin?: string | false
  /** id_token signing algorithm; `HS256` is keyed with the client's secret. Default `'RS256'`. */
  idTokenAlg?: EmulatorSigningAlg
  /** Access token and id_token lifetime in seconds. Default `604800` (7 days). */
  accessTokenTTL?: number
  /** Refresh token lifetime in seconds. Default `2419200` (28 days). */
  refreshTokenTTL?: number
  /** Authorization code lifetime in seconds. Default `60`. */
  codeTTL?: number
  /** Milliseconds before a profile request moves from `pending` to its final status. Default `1000`. */
  profileDelay?: number
  /** The clock, in milliseconds. Default `Date.now`. */
  now?: () => number
}

/** Options of {@link startEmulator}. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** TCP port. Default `0` (any free port). */
  port?: number
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string
}

/** Tampers with the next id_token the token endpoint issues. */
export interface IdTokenTamper {
  /** Merged over the real claims; a value `undefined` deletes the claim. */
  claims?: Record<string, unknown>
  /** Merged over the protected header, e.g. `{ kid: 'other' }` or `{ alg: 'none' }`; `undefined` deletes. */
  header?: Record<string, unknown>
  /** Replaces the signing entirely; receives the tampered payload and header. */
  sign?: (payload: Record<string, unknown>, header: Record<string, unknown>) => Promise<string> | string
}

/** Replaces or slows down the next response of an endpoint. */
export interface ResponseTamper {
  /** HTTP status to answer with. Default: the real status. */
  status?: number
  /** JSON body that replaces the real one. */
  body?: unknown
  /** Body sent as-is (non-JSON, huge …); wins over `body`. */
  rawBody?: string
  /** Milliseconds to wait before handling the request. Default `0`. */
  delay?: number
  /** `Content-Type` of the answer. Default `'application/json'`. */
  contentType?: string
}

/** Request counters. */
export interface EmulatorStats {
  discovery: number
  jwks: number
  /** `GET /openid` and `POST /api/v1/oauth/authorize`. */
  authorize: number
  /** Every token endpoint: OIDC, OAuth2 exchange and refresh. */
  token: number
  /** OIDC userinfo and OAuth2 user. */
  userinfo: number
  /** TCP connections accepted (`startEmulator` only). */
  connections: number
}

/** A token record as {@link Emulator.tokens} lists it. */
export interface EmulatorTokenInfo {
  /** The token record id (UUIDv7), the one POSTed to `revoke_uri`. */
  id: string
  sub: string
  clientID: string
  revokeURI?: string
  protocol: 'oidc' | 'oauth2'
  /** True once signed out, or replaced by a refresh. */
  revoked: boolean
  accessToken: string
  refreshToken: string
  scopes: string[]
}

/** One revoke_uri call made by a sign-out. */
export interface RevokeDelivery {
  id: string
  revokeURI: string
  /** The partner's HTTP status, or `'error'` when it could not be reached within 5 s. */
  status: number | 'error'
}

/** Whose sessions a sign-out ends: a user's, or the user's owning one token record. */
export type LogoutTarget = { sub: string } | { tokenId: string }

/** A Freedom ID emulator without a socket. */
export interface Emulator {
  /** The express app; mount it or drive it with supertest. */
  app: Express
  issuer: string
  /** The live client list; pushing to it registers a client. */
  clients: EmulatorClient[]
  /** The live user list; pushing to it adds an account. */
  users: EmulatorUser[]
  /** Switches automatic sign-in on (a user's `sub`) or off (`false`). Throws a `TypeError` for an unknown sub. */
  setAutoLogin(sub: string | false): void
  /** Queues a tamper for the next id_token issued. */
  nextIdToken(t: IdTokenTamper): void
  /** Queues a tamper for the next token endpoint response (OIDC or OAuth2, exchange or refresh). */
  nextTokenResponse(t: ResponseTamper): void
  /** Queues a tamper for the next userinfo response (OIDC userinfo or OAuth2 user). */
  nextUserInfoResponse(t: ResponseTamper): void
  /** Replaces the signing key with a new one under a new `kid`; the JWKS then lists only the new key. */
  rotateKeys(): Promise<void>
  /** What `/.well-known/jwks.json` serves. */
  publicJWKS(): { keys: JWK[] }
  /** The current asymmetric public key in SPKI PEM (RSA unless `idTokenAlg` is ES256 or EdDSA). */
  publicKeyPEM(): string
  stats: EmulatorStats
  tokens(): EmulatorTokenInfo[]
  /** Provider-initiated sign-out: revokes the user's tokens and POSTs `{"id"}` to each `revoke_uri`. */
  logout(target: LogoutTarget): Promise<RevokeDelivery[]>
  /** Clears tokens, codes, pending logins, profile requests, hooks and counters. Keys and users stay. */
  reset(): void
}

/** An emulator listening on a socket. */
export interface RunningEmulator extends Emulator {
  /** Base URL, no trailing slash, e.g. `http://127.0.0.1:54321`. */
  url: string
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>
}
