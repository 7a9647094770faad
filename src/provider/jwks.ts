import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTHeaderParameters,
} from 'jose'
import { FreedomIdError } from '../errors.js'
import { describeURL, type HttpClient } from './http-client.js'
import { discoveryURL } from './issuer-url.js'

/** Options of {@link KeySource}. */
export interface KeySourceOptions {
  /**
   * The issuer whose discovery document names the JWKS: `${issuer}/.well-known/openid-configuration` → `jwks_uri`
   * (OpenID Connect Discovery 1.0 §4). The document's `issuer` must equal it exactly. Used only when
   * {@link KeySourceOptions.jwksURI} is not set.
   */
  issuer: string
  /**
   * The JWKS URL. When set, no discovery happens. Freedom ID documents neither a discovery document nor a JWKS
   * (API.md §9), so an app that verifies asymmetric id_tokens from the real provider may need to set it.
   * Default: taken from discovery.
   */
  jwksURI?: string
  /** The client every discovery and JWKS fetch goes through (timeout, body cap, keep-alive). */
  http: HttpClient
  /**
   * Minimum milliseconds between the start of one JWKS fetch and a refetch for an unknown `kid`. A token with an
   * unknown `kid` waits for the next allowed refetch, which every such token arriving meanwhile shares. Measured on
   * the `Date.now()` clock. Default `1000`.
   */
  cooldown?: number
  /**
   * Milliseconds a fetched JWKS is used before the next token refetches it, so that keys the provider removed stop
   * being trusted. Default `600000` (10 minutes).
   */
  maxAge?: number
}

/** Which discovery and JWKS fetches a {@link KeySource} has made, failed ones included. */
export interface KeySourceStats {
  discovery: number
  jwks: number
}

interface FetchedSet {
  getKey: ReturnType<typeof createLocalJWKSet>
  /** `Date.now()` when the fetch started. */
  fetchedAt: number
}

const DEFAULT_COOLDOWN = 1_000
const DEFAULT_MAX_AGE = 600_000
/** Milliseconds a failed discovery is not retried for the RFC 9207 check alone. */
const DISCOVERY_RETRY_MS = 60_000
const JWKS_ACCEPT = 'application/jwk-set+json, application/json'

function milliseconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`"${name}" option must be a non-negative number of milliseconds`)
  }
  return value
}

/**
 * The id_token signing keys of one provider, for asymmetric algorithms only (DECISIONS.md rows 1–2), and its
 * discovery document.
 *
 * The JWKS URL comes from `jwksURI`, or else from discovery, fetched lazily on the first asymmetric token and
 * kept once it succeeds; a failed discovery is retried by the next token (at most once per `cooldown`). The JWKS is kept for `maxAge`; then the
 * next token refetches it and keys no longer listed stop being trusted. A token whose `kid` the kept set does not
 * know waits for one refetch, started at least `cooldown` after the previous fetch and shared by every token that
 * needs it (single flight); concurrent first tokens share one fetch too. Create one per strategy.
 *
 * Failures to discover or fetch the keys throw {@link FreedomIdError} `JWKS_UNAVAILABLE`: status 504 when the
 * fetch timed out (the `PROVIDER_TIMEOUT` error is its `cause`), 502 otherwise. Key selection errors
 * (no matching key, several matching keys, an algorithm a JWKS cannot serve) are jose's own errors, rethrown; a
 * `JWKSNoMatchingKey` carries `refetched: true` when a refetch happened for this token.
 */
export class KeySource {
  /** Fetch counters, for tests and benchmarks. */
  readonly stats: KeySourceStats = { discovery: 0, jwks: 0 }
  /** @internal */ readonly _issuer: string
  /** @internal */ readonly _http: HttpClient
  /** @internal */ readonly _cooldown: number
  /** @internal */ readonly _maxAge: number
  /** @internal */ readonly _configured: boolean
  /** @internal */ _jwksURL: URL | undefined
  /** @internal */ _set: FetchedSet | undefined
  /** @internal */ _fetching: Promise<FetchedSet> | undefined
  /** @internal */ _lastFetchAt = Number.NEGATIVE_INFINITY
  /** @internal */ _metadata: Record<string, unknown> | undefined
  /** @internal */ _discovering: Promise<Record<string, unknown>> | undefined
  /** @internal */ _discoveryFailedAt = Number.NEGATIVE_INFINITY
  /** @internal */ _discoveryError: unknown

  constructor(options: KeySourceOptions) {
    if (typeof options?.issuer !== 'string' || !URL.canParse(options.issuer)) {
      throw new TypeError('"issuer" option must be an absolute URL')
    }
    if (options.jwksURI !== undefined && (typeof options.jwksURI !== 'string' || !URL.canParse(options.jwksURI))) {
      throw new TypeError('"jwksURI" option must be an absolute URL')
    }
    if (typeof options.http?.send !== 'function') throw new TypeError('"http" option must be an HttpClient')
    this._cooldown = milliseconds('cooldown', options.cooldown, DEFAULT_COOLDOWN)
    this._maxAge = milliseconds('maxAge', options.maxAge, DEFAULT_MAX_AGE)
    this._issuer = options.issuer
    this._http = options.http
    this._configured = options.jwksURI !== undefined
    this._jwksURL = options.jwksURI === undefined ? undefined : new URL(options.jwksURI)
  }

  /**
   * Resolves the verification key for a token's protected header. A jose `JWTVerifyGetKey`; safe to pass
   * detached from the instance.
   */
  readonly getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    const arrived = Date.now()
    let set = this._set
    if (!set || arrived - set.fetchedAt >= this._maxAge) set = await this._fetchOnce(0)
    try {
      return await set.getKey(header, token)
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw this._keySetError(err)
      if (set.fetchedAt >= arrived) throw Object.assign(err, { refetched: true })
    }
    const wait = Math.max(0, this._lastFetchAt + this._cooldown - Date.now())
    set = await this._fetchOnce(wait)
    try {
      return await set.getKey(header, token)
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) throw Object.assign(err, { refetched: true })
      throw this._keySetError(err)
    }
  }

  /**
   * True when the provider's discovery document says it sends `iss` with every authorization response
   * (`authorization_response_iss_parameter_supported`, RFC 9207 §3). False with `jwksURI` (no discovery is used),
   * and when the document cannot be had (a failure is retried after a minute).
   */
  async advertisesCallbackIssuer(): Promise<boolean> {
    if (this._configured) return false
    if (this._metadata === undefined && Date.now() - this._discoveryFailedAt < DISCOVERY_RETRY_MS) return false
    try {
      return (await this.discoveryDocument()).authorization_response_iss_parameter_supported === true
    } catch {
      return false
    }
  }

  /**
   * The issuer's discovery document, fetched once (concurrent callers share the fetch) and kept once valid: a JSON
   * object whose `issuer` is exactly the configured issuer. Otherwise `JWKS_UNAVAILABLE`, and the next call retries.
   */
  discoveryDocument(): Promise<Record<string, unknown>> {
    if (this._metadata) return Promise.resolve(this._metadata)
    this._discovering ??= this._fetchDiscovery()
      .then(
        (doc) => (this._metadata = doc),
        (err: unknown) => {
          this._discoveryFailedAt = Date.now()
          this._discoveryError = err
          throw err
        },
      )
      .finally(() => {
        this._discovering = undefined
      })
    return this._discovering
  }

  /** @internal */
  async _fetchDiscovery(): Promise<Record<string, unknown>> {
    const url = discoveryURL(this._issuer)
    const where = `The discovery document ${describeURL(url)}`
    this.stats.discovery++
    const res = await this._send(url, 'discovery')
    if (res.status !== 200) throw this._unavailable(`${where} answered HTTP ${res.status}.`)
    const doc = res.body as Record<string, unknown> | undefined
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw this._unavailable(`${where} is not a JSON object.`)
    }
    if (typeof doc.issuer !== 'string') {
      throw this._unavailable(`${where} has no "issuer" (OpenID Connect Discovery 1.0 §3).`)
    }
    if (doc.issuer !== this._issuer) {
      throw this._unavailable(
        `${where} is for another issuer than "${this._issuer}" (OpenID Connect Discovery 1.0 §4.3; the comparison is exact, ` +
          'a trailing "/" included). Check the "issuer" option.',
      )
    }
    return doc
  }

  /** @internal */
  async _jwksURLFromDiscovery(): Promise<URL> {
    // A discovery that failed less than `cooldown` ago (e.g. for this login's RFC 9207 check) is not asked again.
    if (this._metadata === undefined && Date.now() - this._discoveryFailedAt < this._cooldown) throw this._discoveryError
    const doc = await this.discoveryDocument()
    if (typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri)) {
      throw this._unavailable(`The discovery document ${describeURL(discoveryURL(this._issuer))} has no absolute "jwks_uri".`)
    }
    return (this._jwksURL = new URL(doc.jwks_uri))
  }

  /** One JWKS fetch at a time, started after `wait` ms; callers arriving meanwhile share it. @internal */
  _fetchOnce(wait: number): Promise<FetchedSet> {
    this._fetching ??= new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : resolve()))
      .then(() => this._fetchSet())
      .finally(() => {
        this._fetching = undefined
      })
    return this._fetching
  }

  /** @internal */
  async _fetchSet(): Promise<FetchedSet> {
    const startedAt = Date.now()
    this._lastFetchAt = startedAt
    const url = this._jwksURL ?? (await this._jwksURLFromDiscovery())
    this.stats.jwks++
    const res = await this._send(url.href, 'JWKS')
    const body = res.body as { keys?: unknown } | undefined
    if (res.status !== 200) throw this._unavailable(`The JWKS ${describeURL(url.href)} answered HTTP ${res.status}.`)
    if (typeof body !== 'object' || body === null || !Array.isArray(body.keys)) {
      throw this._unavailable(`The JWKS ${describeURL(url.href)} is not a JSON Web Key Set.`)
    }
    let getKey: FetchedSet['getKey']
    try {
      getKey = createLocalJWKSet(body as JSONWebKeySet)
    } catch (err) {
      throw this._unavailable(`The JWKS ${describeURL(url.href)} is not a JSON Web Key Set.`, err)
    }
    this._set = { getKey, fetchedAt: startedAt }
    return this._set
  }

  /** @internal */
  async _send(url: string, operation: string): Promise<{ status: number; body: unknown }> {
    try {
      return await this._http.send({ method: 'GET', url, operation, headers: { accept: JWKS_ACCEPT } })
    } catch (err) {
      if (!(err instanceof FreedomIdError)) throw err
      throw this._unavailable(err.message, err)
    }
  }

  /** A key selection error of jose's local key set (never a `JWKSNoMatchingKey`: both callers handle it first). @internal */
  _keySetError(err: unknown): unknown {
    if (err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) return err
    return this._unavailable('The JWKS or one of its keys is malformed.', err)
  }

  /** @internal */
  _unavailable(what: string, cause?: unknown): FreedomIdError {
    const hint = this._configured
      ? 'Check that the "jwksURI" option points at the provider\'s JSON Web Key Set.'
      : 'The id_token signing keys could not be located through discovery; set the "jwksURI" option to the ' +
        'provider\'s JSON Web Key Set URL.'
    const timedOut = cause instanceof FreedomIdError && cause.code === 'PROVIDER_TIMEOUT'
    return new FreedomIdError('JWKS_UNAVAILABLE', `${what} ${hint}`, {
      cause,
      ...(timedOut ? { status: 504 } : {}),
    })
  }
}
