import { FreedomIdError } from '../errors.js'
import { PENDING_PROFILE_STATUSES, type ProfileStatusResult } from '../provider/profile-request.js'

/** Options of `waitForProfile`. */
export interface WaitForProfileOptions {
  /** Aborts the wait: it rejects with the signal's `reason`. */
  signal?: AbortSignal
  /** Milliseconds before the second status call; each later pause is 1.5 times longer. Default `1000`. */
  interval?: number
  /** Longest pause between status calls, in milliseconds. Default `10000`. */
  maxInterval?: number
  /** Milliseconds the whole wait may take before it fails with `PROFILE_WAIT_TIMEOUT`. Default `60000`. */
  timeout?: number
}

const BACK_OFF = 1.5

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`"${name}" option must be a positive number of milliseconds`)
  }
  return value
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The wait for the profile was aborted.', 'AbortError')
}

/**
 * Settles with `work`, or rejects when `signal` aborts, or resolves `undefined` once `ms` have passed, whichever is
 * first. A call left running when the wait gives up ends on its own (it has the HTTP client's timeout).
 */
function race<T>(work: Promise<T> | undefined, ms: number, signal: AbortSignal | undefined): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      done()
      reject(abortReason(signal!))
    }
    const timer = setTimeout(() => {
      done()
      resolve(undefined)
    }, Math.max(0, ms))
    signal?.addEventListener('abort', onAbort, { once: true })
    work?.then(
      (value) => {
        done()
        resolve(value)
      },
      (err: unknown) => {
        done()
        reject(err)
      },
    )
  })
}

/**
 * Calls `poll` until the profile request reaches a final status (anything but `accepted` and `pending`: `completed`,
 * `failed`, `rejected`, `not_found`, `forbidden` …) and returns that answer. Between calls it waits `interval`,
 * growing 1.5 times per call up to `maxInterval`.
 *
 * @throws FreedomIdError `PROFILE_WAIT_TIMEOUT` when `timeout` passes first; the error of a failed status call;
 *   the signal's `reason` when `signal` aborts.
 */
export async function waitForProfileStatus(
  poll: () => Promise<ProfileStatusResult>,
  options: WaitForProfileOptions = {},
): Promise<ProfileStatusResult> {
  let pause = positive('interval', options.interval, 1000)
  const maxInterval = positive('maxInterval', options.maxInterval, 10_000)
  const timeout = positive('timeout', options.timeout, 60_000)
  const signal = options.signal
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('"signal" option must be an AbortSignal')
  const deadline = Date.now() + timeout
  let last: string | undefined
  for (;;) {
    if (signal?.aborted) throw abortReason(signal)
    const answer = await race(poll(), deadline - Date.now(), signal)
    if (answer === undefined) break
    last = answer.status
    if (!PENDING_PROFILE_STATUSES.has(answer.status)) return answer
    const left = deadline - Date.now()
    if (left <= 0) break
    await race(undefined, Math.min(pause, left), signal)
    pause = Math.min(pause * BACK_OFF, maxInterval)
  }
  throw new FreedomIdError(
    'PROFILE_WAIT_TIMEOUT',
    `The profile request did not reach a final status within ${timeout} ms${last ? ` (last status: "${last}")` : ''}.`,
  )
}
