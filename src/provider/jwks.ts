import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type CryptoKey,
  type FetchImplementation,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  type RemoteJWKSet,
} from 'jose'
import { FreedomIdError } from '../errors.js'
import { describeURL, type HttpClient } from './http-client.js'

/** Options of {@link KeySource}. */
export interface KeySourceOptions {
  /**
   * The issuer whose discovery document names the JWKS: `${issuer}/.well-known/openid-configuration` → `jwks_uri`
   * (OpenID Connect Discovery 1.0 §4). Used only when {@link KeySourceOptions.jwksURI} is not set.
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
   * Milliseconds after a successful JWKS fetch during which a token with an unknown `kid` fails without another
   * fetch. After that, one unknown `kid` triggers one refetch. Measured on the `Date.now()` clock. Default `30000`.
   */
  cooldown?: number
}

/** Which discovery and JWKS fetches a {@link KeySource} has made, failed ones included. */
export interface KeySourceStats {
  discovery: number
  jwks: number
}

const DEFAULT_COOLDOWN = 30_000
const JWKS_ACCEPT = 'application/jwk-set+json, application/json'

/**
 * The id_token signing keys of one provider, for asymmetric algorithms only (DECISIONS.md rows 1–2).
 *
 * The JWKS URL comes from `jwksURI`, or else from discovery, fetched lazily on the first asymmetric token and
 * kept once it succeeds; a failed discovery is retried by the next token. The JWKS is fetched once and kept for
 * the life of the process (jose `createRemoteJWKSet` with `cacheMaxAge: Infinity`, fed through the
 * {@link HttpClient}); concurrent first tokens share one fetch; an unknown `kid` refetches once, at most once per
 * `cooldown`. Create one per strategy.
 *
 * Failures to discover or fetch the keys throw {@link FreedomIdError} `JWKS_UNAVAILABLE`: status 504 when the
 * fetch timed out (the `PROVIDER_TIMEOUT` error is its `cause`), 502 otherwise. Key selection errors
 * (no matching key, several matching keys, an algorithm a JWKS cannot serve) are jose's own errors, rethrown.
 */
export class KeySource {
  /** Fetch counters, for tests and benchmarks. */
  readonly stats: KeySourceStats = { discovery: 0, jwks: 0 }
  /** @internal */ readonly _issuer: string
  /** @internal */ readonly _http: HttpClient
  /** @internal */ readonly _cooldown: number
  /** @internal */ readonly _configured: boolean
  /** @internal */ _jwks: RemoteJWKSet | undefined
  /** @internal */ _discovering: Promise<RemoteJWKSet> | undefined

  constructor(options: KeySourceOptions) {
    if (typeof options?.issuer !== 'string' || !URL.canParse(options.issuer)) {
      throw new TypeError('"issuer" option must be an absolute URL')
    }
    if (options.jwksURI !== undefined && (typeof options.jwksURI !== 'string' || !URL.canParse(options.jwksURI))) {
      throw new TypeError('"jwksURI" option must be an absolute URL')
    }
    if (typeof options.http?.send !== 'function') throw new TypeError('"http" option must be an HttpClient')
    const cooldown = options.cooldown ?? DEFAULT_COOLDOWN
    if (typeof cooldown !== 'number' || !(cooldown >= 0) || !Number.isFinite(cooldown)) {
      throw new TypeError('"cooldown" option must be a non-negative number of milliseconds')
    }
    this._issuer = options.issuer
    this._http = options.http
    this._cooldown = cooldown
    this._configured = options.jwksURI !== undefined
    this._jwks = options.jwksURI === undefined ? undefined : this._createSet(new URL(options.jwksURI))
  }

  /**
   * Resolves the verification key for a token's protected header. A jose `JWTVerifyGetKey`; safe to pass
   * detached from the instance.
   */
  readonly getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    const jwks = this._jwks ?? (await this._discover())
    try {
      return await jwks(header, token)
    } catch (err) {
      throw this._keySetError(err)
    }
  }

  /** @internal */
  _discover(): Promise<RemoteJWKSet> {
    this._discovering ??= this._fetchJWKSURI()
      .then((url) => (this._jwks = this._createSet(url)))
      .finally(() => {
        this._discovering = undefined
      })
    return this._discovering
  }

  /** @internal */
  async _fetchJWKSURI(): Promise<URL> {
    const url = `${this._issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
    const where = `The discovery document ${describeURL(url)}`
    this.stats.discovery++
    const res = await this._send(url, 'discovery')
    if (res.status !== 200) throw this._unavailable(`${where} answered HTTP ${res.status}.`)
    const doc = res.body as { issuer?: unknown; jwks_uri?: unknown } | undefined
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw this._unavailable(`${where} is not a JSON object.`)
    }
    if (doc.issuer !== undefined && doc.issuer !== this._issuer) {
      throw this._unavailable(`${where} names another issuer (OpenID Connect Discovery 1.0 §4.3).`)
    }
    if (typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri)) {
      throw this._unavailable(`${where} has no absolute "jwks_uri".`)
    }
    return new URL(doc.jwks_uri)
  }

  /** @internal */
  _createSet(url: URL): RemoteJWKSet {
    const fetchJWKS: FetchImplementation = async (href) => {
      this.stats.jwks++
      const res = await this._send(href, 'JWKS')
      const body = res.body as { keys?: unknown } | undefined
      if (res.status !== 200) throw this._unavailable(`The JWKS ${describeURL(href)} answered HTTP ${res.status}.`)
      if (typeof body !== 'object' || body === null || !Array.isArray(body.keys)) {
        throw this._unavailable(`The JWKS ${describeURL(href)} is not a JSON Web Key Set.`)
      }
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
    }
    return createRemoteJWKSet(url, {
      cooldownDuration: this._cooldown,
      cacheMaxAge: Infinity,
      [customFetch]: fetchJWKS,
    })
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

  /** @internal */
  _keySetError(err: unknown): unknown {
    if (
      err instanceof FreedomIdError ||
      err instanceof errors.JWKSNoMatchingKey ||
      err instanceof errors.JWKSMultipleMatchingKeys ||
      err instanceof errors.JOSENotSupported
    ) {
      return err
    }
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
