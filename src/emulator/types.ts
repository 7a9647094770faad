import type { KeyObject } from 'node:crypto'
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
  /** How this user's profile requests end (see {@link ProfileOutcome}). Default `'completed'`. */
  profileOutcome?: ProfileOutcome
}

/**
 * How a user's profile requests end. `'rejected'`: `POST get-profile` answers `rejected` at once (as without the
 * `read.profile` grant). `'pending'`: the request never leaves its pending status, until its 24 hours run out
 * (`not_found`). The others are the final status after `profileDelay`: `completed` (with `profile.payload`),
 * `failed`, `error`, `not_found` or `forbidden`.
 */
export type ProfileOutcome = 'completed' | 'failed' | 'error' | 'rejected' | 'pending' | 'not_found' | 'forbidden'

/** Signing algorithms the emulator can use for id_tokens. */
export type EmulatorSigningAlg = 'RS256' | 'ES256' | 'PS256' | 'EdDSA' | 'HS256'

/** Options of {@link createEmulator}. */
export interface EmulatorOptions {
  /**
   * The `iss` claim and the base of every URL the emulator advertises, kept exactly as given (a trailing `/` too;
   * URLs are joined with one `/`). Default `'http://localhost'` (`startEmulator`: its own URL).
   */
  issuer?: string
  /**
   * `true` makes the issuer end with one `/`, `false` removes a trailing `/`; unset keeps `issuer` as given.
   * Freedom ID's example `iss` has none (API.md §1); `true` shows what a strategy does if the real one has one.
   * Default: unset.
   */
  issuerTrailingSlash?: boolean
  /**
   * Adds `iss` to every OIDC authorization response (RFC 9207), success and error, and advertises
   * `authorization_response_iss_parameter_supported: true` in discovery. Freedom ID's docs show no `iss` on the
   * callback (API.md §5.1): an emulator assumption, off by default.
   */
  authorizationResponseIss?: boolean
  /** Registered clients. Default: one client, {@link DEMO_CLIENT}. */
  clients?: EmulatorClient[]
  /** Accounts that can sign in. Default: {@link DEFAULT_USERS}. */
  users?: EmulatorUser[]
  /** `sub` of a user signed in at once, skipping the consent page. Default `false` (the page is shown). */
  autoLogin?: string | false
  /** id_token signing algorithm; `HS256` is keyed with the client's secret. Default `'RS256'`; strict `'HS256'` (no published keys). */
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
  /**
   * The strict preset: every leniency below defaults to the side a production server plausibly takes where Freedom
   * ID's docs are silent (see the README's table). Each can still be set one by one. Default `false`.
   */
  strict?: boolean
  /** Serve `/.well-known/openid-configuration` (Freedom ID publishes none). Default `true`; strict `false`. */
  discovery?: boolean
  /**
   * Serve `/.well-known/jwks.json` (Freedom ID publishes none). Without it, verify HS256 tokens with the client secret,
   * or serve {@link Emulator.publicJWKS} yourself and point the strategy's `jwksURI` at it. Default `true`; strict `false`.
   */
  jwks?: boolean
  /**
   * The asymmetric private key id_tokens are signed with (a `KeyObject` or a PKCS#8 PEM), instead of a generated one:
   * RSA for RS256/PS256, P-256 for ES256, Ed25519 for EdDSA. Default: a new key per emulator.
   */
  signingKey?: KeyObject | string
  /** Accept `application/x-www-form-urlencoded` bodies on the API endpoints (415 otherwise). Default `true`; strict `false`. */
  formBodies?: boolean
  /**
   * Accept `client_id` and `client_secret` in the body (`client_secret_post`), also when a Basic header is broken;
   * otherwise only `Authorization: Basic` authenticates a client. Default `true`; strict `false`.
   */
  bodyCredentials?: boolean
  /** Accept `basic`, `bearer` … in any letter case; otherwise exactly `Basic` and `Bearer`. Default `true`; strict `false`. */
  schemeAnyCase?: boolean
  /** Accept `application/*+json` bodies as JSON (415 otherwise). Default `true`; strict `false`. */
  plusJson?: boolean
  /**
   * Compare `redirect_uri` with the client's `redirectURIs` character for character, query included, in both flavours;
   * a client without `redirectURIs` then accepts loopback URLs without a query. Default `false` (see
   * {@link EmulatorClient.redirectURIs}); strict `true`.
   */
  exactRedirectURI?: boolean
  /**
   * Tokens work only in the flavour that issued them: OIDC access tokens at OIDC userinfo, OAuth2 ones at the OAuth2
   * user, profile and refresh endpoints. Default `false`; strict `true`.
   */
  flavourBoundTokens?: boolean
  /** A code presented in a failed exchange (wrong redirect_uri, PKCE verifier, client …) can never be used again. Default `false`; strict `true`. */
  burnCodeOnFailure?: boolean
  /**
   * Answer API errors (the `{"error":{…}}` bodies) with HTTP 200, as the docs file them, instead of 4xx. Unknown paths,
   * broken JSON, oversized bodies (413) and refused content types (415) keep their 4xx. Default `false`; strict `true`.
   */
  errorsWith200?: boolean
  /**
   * The token id a sign-out POSTs to `revoke_uri` after refreshes: the newest record's (`'newest'`) or the one the
   * code exchange returned (`'original'`). Default `'newest'`; strict `'original'`.
   */
  revokeTokenId?: 'newest' | 'original'
  /** What the profile status endpoint says while a request is processed: `'pending'` or `'accepted'` (the docs' example). Default `'pending'`; strict `'accepted'`. */
  pendingProfileStatus?: 'pending' | 'accepted'
  /** Put `auth_time` in the id_token (the docs' example has only iss, sub, aud, exp, iat, nonce). Default `true`; strict `false`. */
  authTimeClaim?: boolean
}

/** The leniency switches after the preset and each option are applied: what {@link Emulator.rules} shows. */
export interface EmulatorRules {
  strict: boolean
  discovery: boolean
  jwks: boolean
  formBodies: boolean
  bodyCredentials: boolean
  schemeAnyCase: boolean
  plusJson: boolean
  exactRedirectURI: boolean
  flavourBoundTokens: boolean
  burnCodeOnFailure: boolean
  errorsWith200: boolean
  revokeTokenId: 'newest' | 'original'
  pendingProfileStatus: 'pending' | 'accepted'
  authTimeClaim: boolean
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
  /** The id the code exchange returned: equal to `id` until a refresh; sent instead under `revokeTokenId: 'original'`. */
  originalId: string
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
  /** Queues a tamper for the next `POST /api/v1/oauth/authorize` (authorization link) response. */
  nextAuthorizationLinkResponse(t: ResponseTamper): void
  /** Queues a tamper for the next `POST /api/v1/oauth/get-profile` response. */
  nextProfileRequestResponse(t: ResponseTamper): void
  /** Queues a tamper for the next `GET /api/v1/oauth/get-profile/status` response. */
  nextProfileStatusResponse(t: ResponseTamper): void
  /** The leniency switches in force (the `strict` preset and each option resolved). */
  readonly rules: Readonly<EmulatorRules>
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
  /** Base URL, no trailing slash, e.g. `http://127.0.0.1:54321`; the issuer unless `issuer` or `issuerTrailingSlash` says otherwise. */
  url: string
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>
}
