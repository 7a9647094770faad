import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import type { FreedomIdProfile } from '../../src/sign-in/profile.js'
import { FreedomIdStrategy } from '../../src/sign-in/strategy.js'
import type { FreedomIdParams, VerifyCallback } from '../../src/sign-in/verify-callback.js'
import { errorOf, failure, login } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

const user = DEFAULT_USERS[0]!
let emulator: RunningEmulator
const make = strategyMaker(() => emulator.url, { scope: 'read.email read.firstname read.lastname read.phone' })
const strategy = (verify: unknown, passReqToCallback = false) => make({ passReqToCallback }, verify)

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: user.sub })
})
afterAll(async () => {
  await make.closeAll()
  await emulator.close()
})

describe('the verify callback', () => {
  it('(accessToken, refreshToken, profile, done) gets the tokens and the mapped profile', async () => {
    const calls: unknown[][] = []
    const { outcome } = await login(
      strategy((accessToken: string, refreshToken: string, profile: unknown, done: (e: null, u: unknown) => void) => {
        calls.push([accessToken, refreshToken, profile])
        done(null, { id: 'u1' })
      }),
    )
    expect(outcome).toMatchObject({ type: 'success', user: { id: 'u1' } })
    const [accessToken, refreshToken, profile] = calls[0] as [string, string, Record<string, unknown>]
    expect(accessToken).toMatch(/^[a-zA-Z0-9]{128}$/)
    expect(refreshToken).toMatch(/^[a-zA-Z0-9]{128}$/)
    expect(profile).toMatchObject({
      provider: 'freedom-id',
      id: user.sub,
      displayName: `${user.firstname} ${user.lastname}`,
      name: { givenName: user.firstname, familyName: user.lastname },
      emails: [{ value: user.email, primary: true }],
    })
    expect(JSON.parse(profile._raw as string)).toMatchObject({ sub: user.sub, email: user.email })
    expect((profile._json as Record<string, unknown>).iss).toBe(emulator.url)
  })

  it('(accessToken, refreshToken, params, profile, done) gets the token response with the verified claims', async () => {
    let params: Record<string, unknown> | undefined
    await login(
      strategy((_a: string, _r: string, p: Record<string, unknown>, _profile: unknown, done: (e: null, u: unknown) => void) => {
        params = p
        done(null, {})
      }),
    )
    expect(params).toMatchObject({ token_type: 'Bearer', expires_in: 604800, claims: { sub: user.sub } })
    expect(typeof params?.id_token).toBe('string')
    expect(params?.id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('passes req first with passReqToCallback, in both forms', async () => {
    const seen: unknown[] = []
    await login(strategy((req: unknown, _a: string, _r: string, _p: unknown, done: (e: null, u: unknown) => void) => {
      seen.push(req)
      done(null, {})
    }, true))
    await login(strategy((req: unknown, _a: string, _r: string, params: { claims: unknown }, _p: unknown, done: (e: null, u: unknown) => void) => {
      seen.push(req, params.claims)
      done(null, {})
    }, true))
    expect(seen).toHaveLength(3)
    expect((seen[0] as { url: string }).url).toMatch(/^\/auth\/freedom-id\/callback\?/)
    expect((seen[2] as { sub: string }).sub).toBe(user.sub)
  })

  it('accepts an async verify that resolves the user', async () => {
    const { outcome } = await login(strategy(async (_a: string, _r: string, profile: { id: string }, _done: unknown) => ({ id: profile.id })))
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub } })
  })

  it('fails when an async verify resolves false', async () => {
    const { outcome } = await login(strategy(async (_a: string, _r: string, _p: unknown, _done: unknown) => false))
    expect(outcome.type).toBe('fail')
  })

  it('fails with a message when an async verify resolves nothing and never calls done', async () => {
    const { outcome } = await login(strategy(async (_a: string, _r: string, _p: unknown, _done: unknown) => undefined))
    expect(failure(outcome).message).toMatch(/resolved without a user/)
  })

  it('errors when an async verify rejects', async () => {
    const { outcome } = await login(strategy(async (_a: string, _r: string, _p: unknown, _done: unknown) => {
      throw new Error('db down')
    }))
    expect(errorOf(outcome).message).toBe('db down')
  })

  it('errors when verify throws or calls done(err)', async () => {
    const thrower = await login(strategy((_a: string, _r: string, _p: unknown, _done: unknown) => {
      throw new Error('boom')
    }))
    expect(errorOf(thrower.outcome).message).toBe('boom')
    const caller = await login(strategy((_a: string, _r: string, _p: unknown, done: (e: Error) => void) => done(new Error('nope'))))
    expect(errorOf(caller.outcome).message).toBe('nope')
  })

  it('fails with the info verify gives with false', async () => {
    const { outcome } = await login(
      strategy((_a: string, _r: string, _p: unknown, done: (e: null, u: false, i: unknown) => void) => done(null, false, { message: 'Account locked' })),
    )
    expect(failure(outcome).message).toBe('Account locked')
  })

  it('merges the info verify gives with the token id', async () => {
    const { outcome } = await login(
      strategy((_a: string, _r: string, _p: unknown, done: (e: null, u: unknown, i: unknown) => void) => done(null, { id: 1 }, { message: 'Welcome back' })),
    )
    expect(outcome).toMatchObject({ type: 'success', info: { message: 'Welcome back' } })
    expect((outcome as { info: { tokenId?: string } }).info.tokenId).toBeDefined()
  })

  it('settles once when verify both calls done and resolves', async () => {
    const { outcome } = await login(
      strategy(async (_a: string, _r: string, _p: unknown, done: (e: null, u: unknown) => void) => {
        done(null, { id: 'first' })
        return { id: 'second' }
      }),
    )
    expect(outcome).toMatchObject({ type: 'success', user: { id: 'first' } })
  })
})

describe('passParamsToCallback', () => {
  it('true: an async function without done gets params before the profile', async () => {
    const { outcome } = await login(
      make({ passParamsToCallback: true }, async (_a: string, _r: string, params: FreedomIdParams, profile: FreedomIdProfile) => ({
        id: profile.id,
        sub: params.claims?.sub,
      })),
    )
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub, sub: user.sub } })
  })

  it('true with passReqToCallback: req, then params before the profile', async () => {
    const seen: unknown[] = []
    await login(
      make({ passReqToCallback: true, passParamsToCallback: true }, async (req: { url: string }, _a: string, _r: string, params: FreedomIdParams, profile: FreedomIdProfile) => {
        seen.push(req.url, params.claims?.sub, profile.provider)
        return {}
      }),
    )
    expect(seen).toEqual([expect.stringMatching(/^\/auth\/freedom-id\/callback\?/), user.sub, 'freedom-id'])
  })

  it('false: a function of 5 parameters gets the profile third, not params', async () => {
    const seen: unknown[] = []
    await login(
      make({ passParamsToCallback: false }, (_a: string, _r: string, profile: FreedomIdProfile, done: VerifyCallback, extra?: unknown) => {
        seen.push(profile.provider, extra)
        done(null, {})
      }),
    )
    expect(seen).toEqual(['freedom-id', undefined])
  })
})

describe('a subclass with validate(), as @nestjs/passport builds it', () => {
  it('validate(accessToken, refreshToken, params, profile) gets params without Nest\'s callbackArity', async () => {
    const seen: unknown[][] = []
    /** What `PassportStrategy(FreedomIdStrategy)` makes without `callbackArity`: a `(...params)` verify of length 0. */
    class NestLike extends FreedomIdStrategy {
      constructor() {
        super(
          { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret, callbackURL: 'http://127.0.0.1/cb', issuer: emulator.url },
          async (...params: unknown[]) => {
            const done = params.pop() as (err: unknown, user?: unknown) => void
            done(null, await this.validate(...(params as [string, string, FreedomIdParams, FreedomIdProfile])))
          },
        )
      }
      validate(_accessToken: string, _refreshToken: string, params: FreedomIdParams, profile: FreedomIdProfile) {
        seen.push([params, profile])
        return { id: profile.id }
      }
    }
    const nest = new NestLike()
    const { outcome } = await login(nest)
    await nest._http.close()
    expect(outcome).toMatchObject({ type: 'success', user: { id: user.sub } })
    expect((seen[0]![0] as FreedomIdParams).claims?.sub).toBe(user.sub)
    expect((seen[0]![1] as FreedomIdProfile).provider).toBe('freedom-id')
  })
})
