import type { Server } from 'node:http'
import type { KeyStore } from './keys.js'
import { randomAlnum, uuidv7 } from './random.js'
import type {
  EmulatorClient,
  EmulatorRules,
  EmulatorStats,
  EmulatorUser,
  IdTokenTamper,
  ProfileOutcome,
  ResponseTamper,
} from './types.js'

/** Which flavour of the API a login, code or token belongs to. */
export type Protocol = 'oidc' | 'oauth2'

/** A sign-in waiting for the user's decision on the consent page. */
export interface Transaction {
  id: string
  protocol: Protocol
  clientID: string
  redirectURI: string
  scopes: string[]
  state?: string
  nonce?: string
  codeChallenge?: string
  expiresAt: number
}

/** An authorization code and everything it is bound to. */
export interface CodeRecord {
  code: string
  protocol: Protocol
  clientID: string
  redirectURI: string
  scopes: string[]
  sub: string
  authTime: number
  nonce?: string
  codeChallenge?: string
  expiresAt: number
  used: boolean
  tokenIds: string[]
}

/** A token pair and its record id. */
export interface TokenRecord {
  id: string
  /** The id the code exchange returned; refreshes keep it (the `revokeTokenId: 'original'` rule sends it). */
  originalId: string
  protocol: Protocol
  clientID: string
  sub: string
  scopes: string[]
  accessToken: string
  refreshToken: string
  accessExpiresAt: number
  refreshExpiresAt: number
  revokeURI?: string
  revoked: boolean
}

/** A profile request accepted by `POST /api/v1/oauth/get-profile`. */
export interface ProfileRequest {
  requestId: string
  sub: string
  acceptedAt: number
  outcome: Exclude<ProfileOutcome, 'rejected'>
  /** The opaque `profile.payload` returned once completed. */
  payload: string
}

/** Resolved settings. */
export interface EmulatorSettings {
  accessTokenTTL: number
  refreshTokenTTL: number
  codeTTL: number
  profileDelay: number
  /** RFC 9207 `iss` on OIDC callbacks. */
  authorizationResponseIss: boolean
}

/** Everything the routes share: configuration, stores, hooks and counters. */
export class EmulatorState {
  issuer: string
  autoLogin: string | false
  readonly transactions = new Map<string, Transaction>()
  readonly codes = new Map<string, CodeRecord>()
  readonly tokens = new Map<string, TokenRecord>()
  readonly byAccessToken = new Map<string, TokenRecord>()
  readonly byRefreshToken = new Map<string, TokenRecord>()
  readonly profileRequests = new Map<string, ProfileRequest>()
  readonly idTokenHooks: IdTokenTamper[] = []
  readonly tokenHooks: ResponseTamper[] = []
  readonly userInfoHooks: ResponseTamper[] = []
  readonly authorizationLinkHooks: ResponseTamper[] = []
  readonly profileRequestHooks: ResponseTamper[] = []
  readonly profileStatusHooks: ResponseTamper[] = []
  readonly stats: EmulatorStats = { discovery: 0, jwks: 0, authorize: 0, token: 0, userinfo: 0, connections: 0 }
  server: Server | undefined

  constructor(
    issuer: string,
    readonly clients: EmulatorClient[],
    readonly users: EmulatorUser[],
    autoLogin: string | false,
    readonly keys: KeyStore,
    readonly settings: EmulatorSettings,
    readonly now: () => number,
    readonly rules: Readonly<EmulatorRules>,
  ) {
    this.issuer = issuer
    this.autoLogin = autoLogin
  }

  /** An endpoint URL under the issuer, with one `/` between them whether or not the issuer ends with one. */
  url(path: string): string {
    return `${this.issuer.replace(/\/+$/, '')}${path}`
  }

  findClient(clientID: unknown): EmulatorClient | undefined {
    return typeof clientID === 'string' ? this.clients.find((c) => c.clientID === clientID) : undefined
  }

  findUser(sub: unknown): EmulatorUser | undefined {
    return typeof sub === 'string' ? this.users.find((u) => u.sub === sub) : undefined
  }

  /** Issues a single-use code for a finished sign-in. */
  issueCode(tx: Transaction, sub: string): CodeRecord {
    const now = this.now()
    const record: CodeRecord = {
      code: randomAlnum(64),
      protocol: tx.protocol,
      clientID: tx.clientID,
      redirectURI: tx.redirectURI,
      scopes: tx.scopes,
      sub,
      authTime: Math.floor(now / 1000),
      expiresAt: now + this.settings.codeTTL * 1000,
      used: false,
      tokenIds: [],
    }
    if (tx.nonce !== undefined) record.nonce = tx.nonce
    if (tx.codeChallenge !== undefined) record.codeChallenge = tx.codeChallenge
    this.codes.set(record.code, record)
    return record
  }

  /** Issues a token pair for a user and client; a refresh passes the old record, whose `originalId` carries over. */
  issueTokens(
    from: Pick<TokenRecord, 'protocol' | 'clientID' | 'sub' | 'scopes' | 'revokeURI'> & { originalId?: string },
  ): TokenRecord {
    const now = this.now()
    const id = uuidv7(now)
    const record: TokenRecord = {
      id,
      originalId: from.originalId ?? id,
      protocol: from.protocol,
      clientID: from.clientID,
      sub: from.sub,
      scopes: from.scopes,
      accessToken: randomAlnum(128),
      refreshToken: randomAlnum(128),
      accessExpiresAt: now + this.settings.accessTokenTTL * 1000,
      refreshExpiresAt: now + this.settings.refreshTokenTTL * 1000,
      revoked: false,
    }
    if (from.revokeURI !== undefined) record.revokeURI = from.revokeURI
    this.tokens.set(record.id, record)
    this.byAccessToken.set(record.accessToken, record)
    this.byRefreshToken.set(record.refreshToken, record)
    return record
  }

  /**
   * The record of a live (known, unrevoked, unexpired) access token, presented at an endpoint of flavour `protocol`:
   * with the `flavourBoundTokens` rule, a token of the other flavour is unknown there.
   */
  liveAccessToken(token: string | undefined, protocol: Protocol): TokenRecord | undefined {
    const record = token === undefined ? undefined : this.byAccessToken.get(token)
    if (!record || record.revoked || this.now() >= record.accessExpiresAt) return undefined
    if (this.rules.flavourBoundTokens && record.protocol !== protocol) return undefined
    return record
  }

  /** Drops expired sign-ins and codes so that a long-running emulator does not grow. */
  sweep(): void {
    const now = this.now()
    for (const [id, tx] of this.transactions) if (now >= tx.expiresAt) this.transactions.delete(id)
    for (const [code, record] of this.codes) if (now >= record.expiresAt + 3_600_000) this.codes.delete(code)
  }

  reset(): void {
    this.transactions.clear()
    this.codes.clear()
    this.tokens.clear()
    this.byAccessToken.clear()
    this.byRefreshToken.clear()
    this.profileRequests.clear()
    this.idTokenHooks.length = 0
    this.tokenHooks.length = 0
    this.userInfoHooks.length = 0
    this.authorizationLinkHooks.length = 0
    this.profileRequestHooks.length = 0
    this.profileStatusHooks.length = 0
    for (const key of Object.keys(this.stats) as (keyof EmulatorStats)[]) this.stats[key] = 0
  }
}
