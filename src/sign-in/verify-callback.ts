import type { Request } from 'express'
import type { FreedomIdProfile } from './profile.js'
import type { TokenResponse } from '../provider/token-exchange.js'
import type { IdTokenClaims } from './id-token.js'

/** `done` of the verify callback. `user === false` fails the login with `info`. */
export type VerifyCallback = (err?: unknown, user?: Express.User | false | null | unknown, info?: unknown) => void

/** The token response plus the verified id_token `claims` (none in the OAuth2 flavour). */
export type FreedomIdParams = TokenResponse & { claims?: IdTokenClaims }

type Result = Express.User | false | undefined | void | null | unknown
/** `(accessToken, refreshToken, profile, done)` */
export type VerifyFunction = (accessToken: string, refreshToken: string, profile: FreedomIdProfile, done: VerifyCallback) => Result | Promise<Result>
/** `(accessToken, refreshToken, params, profile, done)` */
export type VerifyFunctionWithParams = (accessToken: string, refreshToken: string, params: FreedomIdParams, profile: FreedomIdProfile, done: VerifyCallback) => Result | Promise<Result>
/** `(req, accessToken, refreshToken, profile, done)` */
export type VerifyFunctionWithRequest = (req: Request, accessToken: string, refreshToken: string, profile: FreedomIdProfile, done: VerifyCallback) => Result | Promise<Result>
/** `(req, accessToken, refreshToken, params, profile, done)` */
export type VerifyFunctionWithRequestAndParams = (req: Request, accessToken: string, refreshToken: string, params: FreedomIdParams, profile: FreedomIdProfile, done: VerifyCallback) => Result | Promise<Result>

/** Any of the verify forms; which one is chosen by the function's parameter count, as in passport-oauth2. */
export type FreedomIdVerify = VerifyFunction | VerifyFunctionWithParams | VerifyFunctionWithRequest | VerifyFunctionWithRequestAndParams

/**
 * The parameter count that picks the verify form: the verify function's own, or, when it declares none (a
 * `(...params)` wrapper such as `@nestjs/passport`'s without `callbackArity`) and the strategy is a subclass with a
 * `validate` method (Nest's `PassportStrategy`), `validate`'s count plus the `done` Nest adds. So
 * `validate(accessToken, refreshToken, params, profile)` gets `params` with or without Nest's `callbackArity`.
 */
export function verifyArity(verify: FreedomIdVerify, validate: unknown): number {
  if (verify.length === 0 && typeof validate === 'function') return validate.length + 1
  return verify.length
}

/**
 * Calls the verify function in the form `arity` ({@link verifyArity}) asks for (5 parameters, or 6 with `req`, get `params`), and settles
 * `done` once: by the callback, or by the returned promise (its value is the user; `false` fails; a rejection errors;
 * resolving `undefined` without having called `done` fails with a message saying so).
 */
export function invokeVerify(
  verify: FreedomIdVerify,
  passReq: boolean,
  req: Request,
  tokens: FreedomIdParams,
  profile: FreedomIdProfile,
  arity: number,
  done: (err: unknown, user?: unknown, info?: unknown) => void,
): void {
  let settled = false
  const once: VerifyCallback = (err, user, info) => {
    if (settled) return
    settled = true
    done(err ?? null, user, info)
  }
  const withParams = arity >= (passReq ? 6 : 5)
  const args: unknown[] = [tokens.access_token, tokens.refresh_token ?? '']
  if (withParams) args.push(tokens)
  args.push(profile, once)
  if (passReq) args.unshift(req)
  let result: unknown
  try {
    result = (verify as (...a: unknown[]) => unknown)(...args)
  } catch (err) {
    once(err)
    return
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    ;(result as PromiseLike<Result>).then(
      (user) => {
        if (user === undefined) {
          once(null, false, { message: 'The verify callback resolved without a user: resolve with the user or false, or call done().' })
        } else once(null, user === null ? false : user)
      },
      (err: unknown) => once(err ?? new Error('The verify callback rejected without a reason')),
    )
  }
}
