import { DEMO_CLIENT } from '../../src/emulator/index.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'
import type { FreedomIdProfile } from '../../src/sign-in/profile.js'
import { FreedomIdStrategy } from '../../src/sign-in/strategy.js'
import type { FreedomIdVerify, VerifyCallback } from '../../src/sign-in/verify-callback.js'

/** A verify callback that signs in `{ id: profile.id }`. */
export const signInById = (_accessToken: string, _refreshToken: string, profile: FreedomIdProfile, done: VerifyCallback) =>
  done(null, { id: profile.id })

/** Makes strategies for the emulator's demo client; `closeAll()` closes their keep-alive connections. */
export interface StrategyMaker {
  (overrides?: Partial<FreedomIdStrategyOptions>, verify?: unknown): FreedomIdStrategy
  closeAll(): Promise<void>
}

/**
 * A maker of strategies pointed at the emulator whose URL `issuer()` returns (read at each call, so it may be started
 * later), with the demo client's credentials, a loopback callback, `defaults`, then each call's `overrides`.
 */
export function strategyMaker(issuer: () => string, defaults: Partial<FreedomIdStrategyOptions> = {}): StrategyMaker {
  const made: FreedomIdStrategy[] = []
  const make = ((overrides: Partial<FreedomIdStrategyOptions> = {}, verify: unknown = signInById) => {
    const strategy = new FreedomIdStrategy(
      {
        clientID: DEMO_CLIENT.clientID,
        clientSecret: DEMO_CLIENT.clientSecret,
        callbackURL: 'http://127.0.0.1/auth/freedom-id/callback',
        issuer: issuer(),
        ...defaults,
        ...overrides,
      },
      verify as FreedomIdVerify,
    )
    made.push(strategy)
    return strategy
  }) as StrategyMaker
  make.closeAll = async () => {
    await Promise.all(made.splice(0).map((s) => s._http.close()))
  }
  return make
}
