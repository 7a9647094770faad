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
 * Whether the verify function takes `params`: as `passParamsToCallback` says when it is set, else by its parameter
 * count (passport-oauth2's rule: 5, or 6 with `req`). A function that declares no parameters (a `(...params)` wrapper
 * such as `@nestjs/passport`'s without `callbackArity`) in a subclass with a `validate` method (Nest's
 * `PassportStrategy`) is counted as `validate`'s count plus the `done` Nest adds, so
 * `validate(accessToken, refreshToken, params, profile)` gets `params` with or without Nest's `callbackArity`.
 */
export function verifyTakesParams(verify: FreedomIdVerify, validate: unknown, passReq: boolean, passParams: boolean | undefined): boolean {
  if (passParams !== undefined) return passParams
  const arity = verify.length === 0 && typeof validate === 'function' ? validate.length + 1 : verify.length
  return arity >= (passReq ? 6 : 5)
}

/**
 * Calls the verify function, with `req` first when `passReq` and `params` before `profile` when `withParams`
 * ({@link verifyTakesParams}), and settles `done` once: by the callback, or by the returned promise (its value is the user; `false` fails; a rejection errors;
 * resolving `undefined` without having called `done` fails with a message saying so).
 */
export function invokeVerify(
  verify: FreedomIdVerify,
  passReq: boolean,
  req: Request,
  tokens: FreedomIdParams,
  profile: FreedomIdProfile,
  withParams: boolean,
  done: (err: unknown, user?: unknown, info?: unknown) => void,
): void {
  let settled = false
  const once: VerifyCallback = (err, user, info) => {
    if (settled) return
    settled = true
    done(err ?? null, user, info)
  }
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
