import { expect, it } from '@jest/globals'
import request from 'supertest'
import { DEFAULT_USERS, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'

/** Every request of the suite gives up after this long: a hung request fails its test instead of the run. */
export const REQUEST_TIMEOUT_MS = 5_000

/** An app of one stack, listening on 127.0.0.1. */
export interface RunningStack {
  url: string
  /** The status a failed login answers with (302 to failureRedirect, or 401). */
  failureStatus: number
  close(): Promise<void>
}

const user = DEFAULT_USERS[0]!

type Agent = ReturnType<typeof request.agent>

async function startLogin(agent: Agent, app: RunningStack): Promise<URLSearchParams> {
  const start = await agent.get('/auth/freedom-id').timeout(REQUEST_TIMEOUT_MS).expect(302)
  return authorize(start.headers.location!)
}

async function signIn(agent: Agent, app: RunningStack): Promise<void> {
  const callback = await startLogin(agent, app)
  await agent.get(`/auth/freedom-id/callback?${callback}`).timeout(REQUEST_TIMEOUT_MS).expect(302).expect('location', '/profile')
  const profile = await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(200)
  expect(profile.body).toMatchObject({ id: user.sub })
}

/**
 * The five scenarios every stack runs against the emulator: sign-in, a failed login, a provider fault (502 from the
 * framework's own error handler, then a replayed callback that never reaches the token endpoint), logout, and provider
 * sign-out through the revoke route.
 */
export function stackScenarios(emulator: () => RunningEmulator, app: () => RunningStack): void {
  it('signs a user in through the emulator, with redirect_uri on the configured origin', async () => {
    const agent = request.agent(app().url)
    const start = await agent.get('/auth/freedom-id').set('Host', 'evil.example').timeout(REQUEST_TIMEOUT_MS).expect(302)
    expect(new URL(start.headers.location!).searchParams.get('redirect_uri')).toBe(`${app().url}/auth/freedom-id/callback`)
    await signIn(agent, app())
  })

  it('fails a login whose callback names a state it never started', async () => {
    const agent = request.agent(app().url)
    await agent.get('/auth/freedom-id').timeout(REQUEST_TIMEOUT_MS).expect(302)
    await agent.get('/auth/freedom-id/callback?code=forged&state=forged').timeout(REQUEST_TIMEOUT_MS).expect(app().failureStatus)
    await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(401)
  })

  it('answers 502 when the token endpoint fails, and a replayed callback fails without a token call', async () => {
    const agent = request.agent(app().url)
    const callback = await startLogin(agent, app())
    emulator().nextTokenResponse({ status: 503, rawBody: 'busy', contentType: 'text/plain' })
    await agent.get(`/auth/freedom-id/callback?${callback}`).timeout(REQUEST_TIMEOUT_MS).expect(502)
    const tokenCalls = emulator().stats.token
    await agent.get(`/auth/freedom-id/callback?${callback}`).timeout(REQUEST_TIMEOUT_MS).expect(app().failureStatus)
    expect(emulator().stats.token).toBe(tokenCalls)
    await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(401)
  })

  it('logs the user out', async () => {
    const agent = request.agent(app().url)
    await signIn(agent, app())
    const out = await agent.post('/logout').timeout(REQUEST_TIMEOUT_MS)
    expect([200, 204, 302]).toContain(out.status)
    await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(401)
  })

  it('ends the session when the user signs out of Freedom ID (revoke route)', async () => {
    const agent = request.agent(app().url)
    await signIn(agent, app())
    const deliveries = await emulator().logout({ sub: user.sub })
    const mine = deliveries.filter((d) => d.revokeURI.startsWith(app().url))
    expect(mine.length).toBeGreaterThan(0)
    for (const d of mine) expect(d.status).toBe(204)
    await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(401)
    await agent.get('/profile').timeout(REQUEST_TIMEOUT_MS).expect(401)
  })
}
