import type { Request } from 'express'
import type { ServerResponse } from 'node:http'
import { debuglog } from 'node:util'
import OAuth2StrategyImpl from 'passport-oauth2'
import { FreedomIdError, isFreedomIdError } from '../errors.js'
import { HttpClient } from '../provider/http-client.js'
import { KeySource } from '../provider/jwks.js'
import { randomToken, safeReturnTo, type LoginRecord } from './login-state/record.js'
import { assertOAuth2Options, completeOAuth2Login, oauth2RedirectURI, requestAuthorizationLink } from './oauth2-flow.js'
import { resolveCallbackURL } from './callback-url.js'
import { buildOidcAuthorizationURL, completeOidcLogin, type CompletedLogin } from './oidc-flow.js'
import { parseScope, resolveOptions, type FreedomIdStrategyOptions, type ResolvedOptions } from './options.js'
import { bindSessionOnLogIn } from '../sign-out/session-binding.js'
import { callbackIssuerError } from './callback-issuer.js'
import {
  invokeVerify,
  verifyTakesParams,
  type FreedomIdVerify,
  type VerifyFunction,
  type VerifyFunctionWithParams,
  type VerifyFunctionWithRequest,
  type VerifyFunctionWithRequestAndParams,
} from './verify-callback.js'

const debug = debuglog('freedom-id')

/** Options of `passport.authenticate('freedom-id', options)` this strategy reads, besides Passport's own. */
export interface FreedomIdAuthenticateOptions {
  /** Same-origin path to return to after sign-in, handed back as `info.returnTo`. Else the login request's `?returnTo=`. */
  returnTo?: string
  /** Overrides the strategy's `callbackURL` for this login: absolute, or a path resolved against `origins`. */
  callbackURL?: string
  /** Overrides the strategy's `scope` for this login. */
  scope?: string | string[]
  [option: string]: unknown
}

type Query = Record<string, unknown>

function queryOf(req: Request): Query {
  if (req.query && typeof req.query === 'object') return req.query as Query
  return Object.fromEntries(new URL(req.url ?? '/', 'http://localhost').searchParams)
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Freedom ID's OAuth2 `error_code` when the user cancels (API.md §6; the emulator sends it on cancel). */
const FREEDOM_ID_CANCEL_CODE = '100102'

function stateMissing(): FreedomIdError {
  return new FreedomIdError(
    'STATE_MISSING',
    'No pending Freedom ID login matches this callback\'s "state". Usual causes: the session cookie (or the login ' +
      'cookie of cookieLoginState) was not sent back (SameSite, a non-HTTPS callback with a Secure cookie, or the ' +
      'callback on another domain than the login), the login was started more than 10 minutes ago, this callback ' +
      'was already used, or the cookie was changed or made under a secret no longer listed.',
  )
}

/**
 * What the strategy inherits from passport-oauth2's `OAuth2Strategy`, and the actions Passport gives it per request.
 * Declared here rather than taken from `@types/passport-oauth2`, so that the published types need no package the
 * user does not install.
 */
interface OAuth2StrategyBase {
  name: string
  authenticate(req: Request, options?: object): void
  authorizationParams(options: object): object
  tokenParams(options: object): object
  userProfile(accessToken: string, done: (err?: unknown, profile?: unknown) => void): void
  success(user: unknown, info?: unknown): void
  fail(challenge?: unknown, status?: number): void
  redirect(url: string, status?: number): void
  error(err: unknown): void
  pass(): void
}

interface OAuth2StrategyBaseOptions {
  authorizationURL: string
  tokenURL: string
  clientID: string
  clientSecret: string
  callbackURL: string
}

const OAuth2Strategy = OAuth2StrategyImpl as unknown as new (
  options: OAuth2StrategyBaseOptions,
  verify: (...args: never[]) => unknown,
) => OAuth2StrategyBase

/**
 * The options that pick each verify form's constructor overload. TypeScript gives an untyped arrow function the
 * parameter types of the first overload whose other arguments match, before it looks at the function's parameter
 * count, so each form is keyed on options alone: `passReqToCallback` and `passParamsToCallback`.
 */
type FormOptions<Req extends boolean, Params extends boolean> = Omit<FreedomIdStrategyOptions, 'passReqToCallback' | 'passParamsToCallback'> &
  (Req extends true ? { passReqToCallback: true } : { passReqToCallback?: false }) &
  (Params extends true ? { passParamsToCallback: true } : { passParamsToCallback?: false })

/**
 * Passport strategy for Freedom ID. Name: `'freedom-id'`.
 *
 * A request without `code` (OIDC) or `authorization_code` (OAuth2) and without `state` starts a login; the callback
 * (a code, a `state` or an error) finishes it. Failed logins are `fail({ message, code })`; provider and network
 * faults are `error(FreedomIdError)` with status 502/504.
 */
export class FreedomIdStrategy extends OAuth2Strategy {
  override name = 'freedom-id'
  /** @internal */ readonly _options: ResolvedOptions
  /** @internal */ readonly _http: HttpClient
  /** @internal */ readonly _keys: KeySource
  /** @internal */ readonly _verifyFn: FreedomIdVerify
  /** @internal Whether the verify function takes `params` (see {@link verifyTakesParams}). */
  readonly _verifyTakesParams: boolean

  /** `(accessToken, refreshToken, profile, done)`. */
  constructor(options: FormOptions<false, false>, verify: VerifyFunction)
  /** `(accessToken, refreshToken, params, profile, done)` with `passParamsToCallback: true`. */
  constructor(options: FormOptions<false, true>, verify: VerifyFunctionWithParams)
  /** `(req, accessToken, refreshToken, profile, done)` with `passReqToCallback: true`. */
  constructor(options: FormOptions<true, false>, verify: VerifyFunctionWithRequest)
  /** `(req, accessToken, refreshToken, params, profile, done)` with both `passReqToCallback` and `passParamsToCallback`. */
  constructor(options: FormOptions<true, true>, verify: VerifyFunctionWithRequestAndParams)
  /**
   * Any form, for options whose flags are only known as `boolean`s; without `passParamsToCallback`, a function of 5
   * parameters (6 with `req`) gets `params`, as in passport-oauth2.
   */
  constructor(options: FreedomIdStrategyOptions, verify: FreedomIdVerify)
  constructor(options: FreedomIdStrategyOptions, verify: FreedomIdVerify) {
    if (typeof verify !== 'function') throw new TypeError('FreedomIdStrategy requires a verify callback')
    const resolved = resolveOptions(options)
    if (resolved.protocol === 'oauth2') assertOAuth2Options(resolved)
    super(
      {
        authorizationURL: resolved.authorizationURL,
        tokenURL: resolved.tokenURL,
        clientID: resolved.clientID,
        clientSecret: resolved.clientSecret,
        callbackURL: resolved.callbackURL,
      },
      verify as (...args: never[]) => unknown,
    )
    this._options = resolved
    this._verifyFn = verify
    this._verifyTakesParams = verifyTakesParams(verify, (this as { validate?: unknown }).validate, resolved.passReqToCallback, resolved.passParamsToCallback)
    this._http = new HttpClient({ timeout: resolved.timeout, ...(resolved.dispatcher && { dispatcher: resolved.dispatcher }) })
    this._keys = new KeySource({
      issuer: resolved.issuer,
      http: this._http,
      maxAge: resolved.jwksCacheMaxAge * 1000,
      ...(resolved.jwksURI !== undefined && { jwksURI: resolved.jwksURI }),
    })
  }

  /**
   * Extra parameters for the authorization request; override to add e.g. `prompt` or `login_hint`. They never replace
   * `state`, `nonce`, `client_id`, `redirect_uri`, `scope` or `response_type`. In the OAuth2 flavour they are extra
   * fields of the authorization-link call's JSON body, never replacing `redirect_uri` or `grants`. Default `{}`.
   */
  override authorizationParams(_options: FreedomIdAuthenticateOptions): Record<string, unknown> {
    return {}
  }

  /** Extra body parameters for the token request; override to add provider-specific ones. Default `{}`. */
  override tokenParams(_options: FreedomIdAuthenticateOptions): Record<string, string> {
    return {}
  }

  override authenticate(req: Request, options: FreedomIdAuthenticateOptions = {}): void {
    const query = queryOf(req)
    const res = (req as unknown as { res?: ServerResponse }).res
    if (query.error !== undefined || query.error_code !== undefined) {
      this._providerErrorCallback(req, res, query).catch((err: unknown) => this.error(err as Error))
      return
    }
    const code = this._options.protocol === 'oauth2' ? query.authorization_code : query.code
    // A `state` marks a callback even without a code: finishing it (CODE_MISSING) instead of starting a new login
    // keeps a provider that redirects straight back from looping.
    if (code !== undefined || query.state !== undefined) {
      this._finish(req, res, query, options).catch((err: unknown) => this.error(err as Error))
      return
    }
    this._start(req, res, query, options).catch((err: unknown) => this.error(err as Error))
  }

  /** @internal */
  async _start(req: Request, res: ServerResponse | undefined, query: Query, options: FreedomIdAuthenticateOptions): Promise<void> {
    const o = this._options
    let scope: string[]
    let redirectURI: string
    try {
      scope = options.scope === undefined ? o.scope : parseScope(options.scope, o.protocol, o.extraGrants)
      redirectURI = resolveCallbackURL(typeof options.callbackURL === 'string' ? options.callbackURL : o.callbackURL, o.origins, req.headers)
    } catch (err) {
      this._failOrError(err)
      return
    }
    const record: LoginRecord = {
      state: randomToken(),
      nonce: randomToken(),
      redirect_uri: redirectURI,
      created: Date.now(),
    }
    if (o.pkce) record.code_verifier = randomToken()
    if (o.maxAge !== undefined) record.max_age = o.maxAge
    const returnTo = safeReturnTo(options.returnTo ?? query.returnTo)
    if (returnTo !== undefined) record.returnTo = returnTo
    if (o.protocol === 'oauth2') {
      await this._startOAuth2(req, res, record, scope, options)
      return
    }
    const url = buildOidcAuthorizationURL(o, record, scope, this.authorizationParams(options))
    await o.loginState.put(req, res, record)
    this.redirect(url)
  }

  /**
   * Asks for the sign-in link first and keeps the pending login only once there is one, so a failed link call leaves
   * nothing behind.
   * @internal
   */
  async _startOAuth2(
    req: Request,
    res: ServerResponse | undefined,
    record: LoginRecord,
    scope: string[],
    options: FreedomIdAuthenticateOptions,
  ): Promise<void> {
    const o = this._options
    record.redirect_uri = oauth2RedirectURI(record.redirect_uri, record.state, o.stateInRedirectURI)
    let url: string
    try {
      url = await requestAuthorizationLink(o, this._http, record, scope, this.authorizationParams(options))
    } catch (err) {
      this._failOrError(err)
      return
    }
    await o.loginState.put(req, res, record, { only: !o.stateInRedirectURI })
    this.redirect(url)
  }

  /**
   * Takes (and so deletes) the pending login a callback belongs to: the one its `state` names, or, in the OAuth2
   * flavour with `stateInRedirectURI: false`, the newest one whatever the callback says.
   * @internal
   */
  _takeRecord(req: Request, res: ServerResponse | undefined, query: Query): Promise<LoginRecord | undefined> {
    const o = this._options
    if (o.protocol === 'oauth2' && !o.stateInRedirectURI) return o.loginState.take(req, res, null)
    const state = single(query.state)
    return state === undefined ? Promise.resolve(undefined) : o.loginState.take(req, res, state)
  }

  /** @internal */
  async _finish(req: Request, res: ServerResponse | undefined, query: Query, options: FreedomIdAuthenticateOptions): Promise<void> {
    const o = this._options
    const oauth2 = o.protocol === 'oauth2'
    const record = await this._takeRecord(req, res, query)
    if (!record) {
      this._failWith(stateMissing())
      return
    }
    if (!(await this._checkCallbackIssuer(query))) return
    const code = single(oauth2 ? query.authorization_code : query.code)
    if (code === undefined) {
      this._failWith(new FreedomIdError('CODE_MISSING', 'The callback carries no usable authorization code.'))
      return
    }
    let login: CompletedLogin
    try {
      login = oauth2
        ? await completeOAuth2Login(o, this._http, code, this.tokenParams(options))
        : await completeOidcLogin(o, this._http, this._keys, record, code, this.tokenParams(options))
    } catch (err) {
      this._failOrError(err)
      return
    }
    this._callVerify(req, login, record)
  }

  /** @internal */
  _callVerify(req: Request, login: CompletedLogin, record: LoginRecord): void {
    const tokenId = typeof login.tokens.id === 'string' ? login.tokens.id : undefined
    if (tokenId === undefined && this._options.revokeURL !== undefined) {
      debug('token response has no "id": this login cannot be ended through revoke_uri')
    }
    invokeVerify(this._verifyFn, this._options.passReqToCallback, req, login.tokens, login.profile, this._verifyTakesParams, (err, user, info) => {
      if (err) return this.error(err as Error)
      if (!user) {
        const challenge = typeof info === 'string' ? { message: info } : (info ?? { message: 'The verify callback refused the user.' })
        return this.fail(challenge as { message: string }, 401)
      }
      const extra: Record<string, unknown> = typeof info === 'string' ? { message: info } : { ...(info as object | undefined) }
      if (tokenId !== undefined) extra.tokenId = tokenId
      if (record.returnTo !== undefined) extra.returnTo = record.returnTo
      if (tokenId !== undefined && this._options.sessionIndex) bindSessionOnLogIn(req, this._options.sessionIndex, tokenId)
      this._succeed(user, extra)
    })
  }

  /**
   * `success()`, where Passport logs the user in (`req.logIn`: serialize, and from 0.6 on `session.regenerate()` and
   * `save()`). A throw or rejection there becomes `error()` naming the fix, never an unhandled rejection (the process
   * would exit) nor a swallowed exception (the request would hang).
   * @internal
   */
  _succeed(user: unknown, info: Record<string, unknown>): void {
    const loginStepFailed = (err: unknown): void => {
      const message = err instanceof Error ? err.message : String(err)
      const hint = /regenerate|save/.test(message)
        ? ' The session has no regenerate() or save(), which Passport 0.6 and later call at login: with cookie-session, ' +
          'add the shims the README shows under "cookie-session" (req.session.regenerate = (cb) => cb(); req.session.save = (cb) => cb()).'
        : ''
      debug('login step failed: %s', message)
      this.error(new FreedomIdError('SESSION_LOGIN_FAILED', `Passport could not log the signed-in user into the session: ${message}.${hint}`, { cause: err }))
    }
    let result: unknown
    try {
      result = (this.success as (user: unknown, info: unknown) => unknown)(user, info)
    } catch (err) {
      loginStepFailed(err)
      return
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      ;(result as PromiseLike<unknown>).then(undefined, loginStepFailed)
    }
  }

  /** RFC 9207, OIDC only ({@link callbackIssuerError}): fails the login and returns false when the `iss` is wrong. @internal */
  async _checkCallbackIssuer(query: Query): Promise<boolean> {
    if (this._options.protocol === 'oauth2') return true
    const error = await callbackIssuerError(query.iss, this._options.issuer, () => this._keys.advertisesCallbackIssuer())
    if (error === undefined) return true
    this._failWith(error)
    return false
  }

  /**
   * An error callback ends the pending login its `state` names; without one (STATE_MISSING) it is not this session's
   * login, so the provider's text is not trusted. The provider's `error_description` goes to `providerMessage`,
   * never into the message an app may show. @internal
   */
  async _providerErrorCallback(req: Request, res: ServerResponse | undefined, query: Query): Promise<void> {
    const record = await this._takeRecord(req, res, query)
    if (!record) {
      this._failWith(stateMissing())
      return
    }
    if (!(await this._checkCallbackIssuer(query))) return
    const error = single(query.error)
    const errorCode = single(query.error_code)
    const description = single(query.error_description)
    const details = {
      ...(errorCode !== undefined && { providerCode: Number.isNaN(Number(errorCode)) ? errorCode : Number(errorCode) }),
      ...(error !== undefined && errorCode === undefined && { providerCode: error }),
      ...(description !== undefined && { providerMessage: description }),
    }
    if (error === 'access_denied' || (error === undefined && errorCode === FREEDOM_ID_CANCEL_CODE)) {
      this._failWith(new FreedomIdError('ACCESS_DENIED', 'The user cancelled the Freedom ID sign-in.', details))
      return
    }
    const what = error !== undefined ? `error "${error.slice(0, 64)}"` : `error_code ${(errorCode ?? '(empty)').slice(0, 32)}`
    this._failWith(
      new FreedomIdError(
        'AUTHORIZATION_ERROR',
        `Freedom ID ended the sign-in with ${what}. The provider's description, if any, is in "providerMessage".`,
        details,
      ),
    )
  }

  /** @internal */
  _failOrError(err: unknown): void {
    if (isFreedomIdError(err) && err.isLoginFailure) this._failWith(err)
    else {
      debug('login error: %s', isFreedomIdError(err) ? err.code : (err as Error)?.name)
      this.error(err as Error)
    }
  }

  /** @internal */
  _failWith(err: FreedomIdError): void {
    debug('login failed: %s', err.code)
    const challenge = {
      message: err.message,
      code: err.code,
      ...(err.claim !== undefined && { claim: err.claim }),
      ...(err.providerCode !== undefined && { providerCode: err.providerCode }),
      ...(err.providerMessage !== undefined && { providerMessage: err.providerMessage }),
    }
    this.fail(challenge as { message: string }, err.status)
  }

}
