import { hkdfSync } from 'node:crypto'
import { parse, serialize } from 'cookie'
import type { Request, RequestHandler, Response } from 'express'
import { jwtVerify, SignJWT } from 'jose'
import type { AppUser } from './user.js'

/** Name of the cookie that carries the signed-in user when `LOGIN_STATE=cookie`. */
export const USER_COOKIE = 'freedom-id-example.user'
/** Name of the one-minute cookie that carries a failed sign-in's message to the home page when `LOGIN_STATE=cookie`. */
export const FLASH_COOKIE = 'freedom-id-example.flash'

/** A failed sign-in, shown once on the home page. */
export interface LoginError {
  code: string
  message: string
}

/** Token ids Freedom ID signed out: the app refuses user cookies that carry one. */
export interface DeniedTokens {
  add(tokenId: string, ttlMs: number): Promise<void>
  has(tokenId: string): Promise<boolean>
}

/** A {@link DeniedTokens} in this process's memory; entries expire. */
export function memoryDeniedTokens(): DeniedTokens {
  const until = new Map<string, number>()
  return {
    async add(tokenId, ttlMs) {
      const now = Date.now()
      for (const [id, end] of until) if (end <= now) until.delete(id)
      until.set(tokenId, now + ttlMs)
    },
    async has(tokenId) {
      const end = until.get(tokenId)
      return end !== undefined && end > Date.now()
    },
  }
}

/**
 * The signed-in user without a session: a JWT (HS256) in an HttpOnly cookie, `{ user, tid }`, where `tid` is the
 * Freedom ID token id of the login, so that a provider sign-out ({@link DeniedTokens}) ends it.
 */
export function userCookie(secret: string, maxAgeMs: number, denied: DeniedTokens) {
  const key = new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), 'freedom-id-example user cookie', 32))
  const attributes = (req: Request) => ({ httpOnly: true, sameSite: 'lax' as const, secure: req.secure, path: '/' })

  const clear = (req: Request, res: Response): void => {
    res.append('Set-Cookie', serialize(USER_COOKIE, '', { ...attributes(req), maxAge: 0 }))
  }

  const sign = (payload: Record<string, unknown>, ttlMs: number) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(new Date(Date.now() + ttlMs)).sign(key)

  return {
    clear,
    /** Keeps `error` for the next page, signed, for one minute. */
    async flash(req: Request, res: Response, error: LoginError): Promise<void> {
      const jwt = await sign({ flash: error }, 60_000)
      res.append('Set-Cookie', serialize(FLASH_COOKIE, jwt, { ...attributes(req), maxAge: 60 }))
    },
    /** Takes the flashed error, if any (and clears its cookie). */
    async takeFlash(req: Request, res: Response): Promise<LoginError | undefined> {
      const token = parse(req.headers.cookie ?? '')[FLASH_COOKIE]
      if (!token) return undefined
      res.append('Set-Cookie', serialize(FLASH_COOKIE, '', { ...attributes(req), maxAge: 0 }))
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] })
        const flash = payload.flash as LoginError | undefined
        return typeof flash?.code === 'string' && typeof flash.message === 'string' ? flash : undefined
      } catch {
        return undefined
      }
    },
    /** Sets the cookie for `user`, signed in by the login whose token id is `tokenId`. */
    async issue(req: Request, res: Response, user: AppUser, tokenId: string | undefined): Promise<void> {
      const jwt = await sign({ sub: user.id, user, ...(tokenId !== undefined && { tid: tokenId }) }, maxAgeMs)
      res.append('Set-Cookie', serialize(USER_COOKIE, jwt, { ...attributes(req), maxAge: maxAgeMs / 1000 }))
    },

    /** Sets `req.user` from a valid cookie whose login Freedom ID has not signed out; clears any other. */
    middleware(): RequestHandler {
      return (req, res, next) => {
        const token = parse(req.headers.cookie ?? '')[USER_COOKIE]
        if (!token) return next()
        jwtVerify(token, key, { algorithms: ['HS256'] })
          .then(async ({ payload }) => {
            if (typeof payload.tid === 'string' && (await denied.has(payload.tid))) throw new Error('signed out at Freedom ID')
            req.user = payload.user as AppUser
          })
          .catch(() => clear(req, res))
          .then(() => next(), next)
      }
    },
  }
}
