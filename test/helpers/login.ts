import { request } from 'undici'
import type { Strategy } from 'passport'
import { fakeRequest, fakeSession, redirectParams, run, type Outcome } from './strategy-harness.js'

/** Follows the authorization redirect to the emulator (automatic mode) and returns the callback's query. */
export async function authorize(url: string): Promise<URLSearchParams> {
  const res = await request(url, { method: 'GET' })
  await res.body.dump()
  const location = res.headers.location
  if (res.statusCode !== 302 && res.statusCode !== 303) throw new Error(`authorize answered ${res.statusCode}, expected a redirect`)
  return new URL(String(location)).searchParams
}

export interface LoginRun {
  outcome: Outcome
  session: Record<string, unknown>
  /** The query of the callback the emulator produced. */
  callback: URLSearchParams
}

/**
 * One whole login through the harness: start (redirect), the emulator's automatic sign-in, then the callback in the
 * same session. `editCallback` may change the callback query before it reaches the strategy.
 */
export async function login(
  strategy: Strategy,
  opts: { session?: Record<string, unknown>; authOptions?: Record<string, unknown>; editCallback?: (q: URLSearchParams) => void } = {},
): Promise<LoginRun> {
  const session = opts.session ?? fakeSession()
  const start = await run(strategy, fakeRequest({ session }), opts.authOptions)
  const authorizeURL = new URL((start as { url: string }).url)
  redirectParams(start)
  const callback = await authorize(authorizeURL.toString())
  opts.editCallback?.(callback)
  const outcome = await run(strategy, fakeRequest({ session, url: `/auth/freedom-id/callback?${callback}` }), opts.authOptions)
  return { outcome, session, callback }
}

/** Asserts a fail outcome and returns its challenge. */
export function failure(outcome: Outcome): { message: string; code: string } {
  if (outcome.type !== 'fail') throw new Error(`expected fail, got ${outcome.type}: ${describe(outcome)}`)
  return outcome.challenge as { message: string; code: string }
}

/** Asserts an error outcome and returns the error. */
export function errorOf(outcome: Outcome): Error & { code?: string; status?: number } {
  if (outcome.type !== 'error') throw new Error(`expected error, got ${outcome.type}: ${describe(outcome)}`)
  return outcome.error
}

function describe(outcome: Outcome): string {
  if (outcome.type === 'error') return `${outcome.error.message}`
  return JSON.stringify(outcome).slice(0, 500)
}
