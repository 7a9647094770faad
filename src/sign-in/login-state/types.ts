import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LoginRecord } from './record.js'

/** Options of {@link LoginStateStore.put}. */
export interface PutLoginOptions {
  /**
   * Drop every other pending login of this browser first. The OAuth2 flavour with `stateInRedirectURI: false` sets it:
   * its callback carries no `state`, so only one login can be pending.
   */
  only?: boolean
}

/**
 * Where a pending login waits between the redirect to Freedom ID and the callback: the session
 * ({@link sessionLoginState}, the default) or an encrypted cookie. The strategy calls `put` before it redirects and
 * `take` once at the callback, whatever the callback's outcome; it never keeps the record anywhere else.
 *
 * `req` is the request Passport hands the strategy; `res` is `req.res` (Express and Nest set it), `undefined` where
 * the framework does not.
 */
export interface LoginStateStore {
  /** Keeps `record` until its callback. Resolves once it is safe to redirect (e.g. the session is saved). */
  put(req: IncomingMessage, res: ServerResponse | undefined, record: LoginRecord, options?: PutLoginOptions): Promise<void>
  /**
   * Removes and returns the pending login `state` names (`null`: the newest one), or `undefined` when there is none,
   * it has expired, or it cannot be read. A record is returned at most once.
   */
  take(req: IncomingMessage, res: ServerResponse | undefined, state: string | null): Promise<LoginRecord | undefined>
}
