import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { HttpError } from './http-error.js'

/**
 * CSRF defence for state-changing POSTs: the browser must say the request comes from this origin. With
 * `Sec-Fetch-Site` (every current browser) it must be `same-origin`; without it, `Origin` must equal this app's
 * origin (`req.protocol` and `req.host`, so behind a TLS proxy set `trust proxy`). Anything else gets 403.
 * No token to store or render, and the session cookie's `SameSite=Lax` is a second line.
 */
export function requireSameOrigin(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const site = req.get('sec-fetch-site')
    const origin = req.get('origin')
    const ok = site !== undefined ? site === 'same-origin' : origin !== undefined && origin === `${req.protocol}://${req.host}`
    next(ok ? undefined : new HttpError(403, 'This request did not come from a page of this site, so it was refused.'))
  }
}
