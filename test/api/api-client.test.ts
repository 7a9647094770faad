import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startEmulator, DEFAULT_USERS, DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js'
import { createFreedomIdClient, type FreedomIdClient, type FreedomIdClientOptions } from '../../src/api/api-client.js'
import type { FreedomIdParams } from '../../src/sign-in/verify-callback.js'
import { closedPort, startServer, type TestServer } from '../helpers/http-server.js'
import { login } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

const aigerim = DEFAULT_USERS[0]!
const daniyar = DEFAULT_USERS[1]!
const unlucky = { sub: '0b8f5a52-9d0e-4c57-8a1e-3f2d6c4b7a90', firstname: 'Unlucky', profileOutcome: 'failed' as const }
const PROFILE_DELAY_MS = 50
const DAY = 24 * 60 * 60 * 1000

let emulator: RunningEmulator
let offset = 0
const clients: FreedomIdClient[] = []
const strategy = strategyMaker(() => emulator.url, { protocol: 'oauth2' })
const servers: TestServer[] = []

function client(overrides: Partial<FreedomIdClientOptions> = {}): FreedomIdClient {
  const c = createFreedomIdClient({
    issuer: emulator.url,
    clientID: DEMO_CLIENT.clientID,
    clientSecret: DEMO_CLIENT.clientSecret,
    timeout: 1000,
    ...overrides,
  })
  clients.push(c)
  return c
}

/** Signs `sub` in through the OAuth2 flavour of the strategy and returns the token response. */
async function signIn(sub = aigerim.sub, grants = ['read.email', 'read.firstname', 'read.profile']): Promise<FreedomIdParams> {
  emulator.setAutoLogin(sub)
  let params: FreedomIdParams | undefined
  const s = strategy(
    { callbackURL: 'http://127.0.0.1/cb', scope: grants },
    (_a: string, _r: string, p: FreedomIdParams, profile: { id: string }, done: (e: null, u: unknown) => void) => {
      params = p
      done(null, { id: profile.id })
    },
  )
  const { outcome } = await login(s)
  if (outcome.type !== 'success' || !params) throw new Error(`sign-in failed: ${JSON.stringify(outcome)}`)
  return params
}

/** A provider answering each request with the next of `answers` (the last one repeats). */
async function scriptedServer(...answers: Array<{ status?: number; body: unknown }>): Promise<TestServer> {
  let i = 0
  const server = await startServer((_req, res) => {
    const answer = answers[Math.min(i++, answers.length - 1)]!
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body))
  })
  servers.push(server)
  return server
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; status?: number; providerCode?: unknown }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

beforeAll(async () => {
  emulator = await startEmulator({
    users: [...DEFAULT_USERS, unlucky],
    profileDelay: PROFILE_DELAY_MS,
    now: () => Date.now() + offset,
  })
})
afterAll(async () => {
  await Promise.all([...clients.map((c) => c.close()), strategy.closeAll()])
  await Promise.all(servers.map((s) => s.close()))
  await emulator.close()
})
beforeEach(() => {
  emulator.reset()
  offset = 0
})

describe('refreshTokens', () => {
  it('rotates the pair and its id, and the old refresh token is refused afterwards', async () => {
    const tokens = await signIn()
    const c = client()
    const fresh = await c.refreshTokens(tokens.refresh_token!)
    expect(fresh.access_token).toMatch(/^[A-Za-z0-9]{128}$/)
    expect(fresh.access_token).not.toBe(tokens.access_token)
    expect(fresh.refresh_token).not.toBe(tokens.refresh_token)
    expect(fresh.id).not.toBe(tokens.id)
    expect(fresh.access_expire_at).toMatch(/\.000000Z$/)
    expect((await c.userInfo(fresh.access_token)).id).toBe(aigerim.sub)
    const error = await rejection(c.refreshTokens(tokens.refresh_token!))
    expect(error.code).toBe('REFRESH_TOKEN_INVALID')
    expect(error.status).toBe(401)
  })

  it('refuses an expired refresh token', async () => {
    const tokens = await signIn()
    offset = 29 * DAY
    const error = await rejection(client().refreshTokens(tokens.refresh_token!))
    expect(error).toMatchObject({ code: 'REFRESH_TOKEN_INVALID', providerCode: 100403 })
  })

  it('refuses an empty refresh token without calling the provider', async () => {
    const error = await rejection(client().refreshTokens(''))
    expect(error.code).toBe('REFRESH_TOKEN_INVALID')
    expect(emulator.stats.token).toBe(0)
  })

  it('sends PATCH with the refresh token as Bearer and no body', async () => {
    const server = await scriptedServer({ body: { id: randomUUID(), access_token: 'a', refresh_token: 'r' } })
    await client({ tokenURL: `${server.url}/api/v1/oauth/token` }).refreshTokens('the-refresh-token')
    expect(server.requests[0]).toMatchObject({ method: 'PATCH', url: '/api/v1/oauth/token', body: '' })
    expect(server.requests[0]!.headers.authorization).toBe('Bearer the-refresh-token')
  })

  const faults: Array<[string, string, () => void]> = [
    ['a 5xx', 'PROVIDER_HTTP_ERROR', () => emulator.nextTokenResponse({ status: 502, rawBody: 'bad gateway', contentType: 'text/plain' })],
    ['an answer after the timeout', 'PROVIDER_TIMEOUT', () => emulator.nextTokenResponse({ delay: 2000 })],
    ['an answer without access_token', 'TOKEN_RESPONSE_INVALID', () => emulator.nextTokenResponse({ body: { refresh_token: 'r' } })],
    ['an error body under HTTP 200', 'REFRESH_TOKEN_INVALID', () => emulator.nextTokenResponse({ status: 200, body: { error: { message: 'Invalid refresh_token.', code: 100403 } } })],
  ]

  it.each(faults)('turns %s into %s', async (_name, code, tamper) => {
    const tokens = await signIn()
    tamper()
    const error = await rejection(client({ timeout: 200 }).refreshTokens(tokens.refresh_token!))
    expect(error.code).toBe(code)
    expect(error.message).not.toContain(tokens.refresh_token!)
  })
})

describe('userInfo', () => {
  it("returns the granted fields, named by the user's id", async () => {
    const tokens = await signIn(aigerim.sub, ['read.email', 'read.firstname'])
    expect(await client().userInfo(tokens.access_token)).toEqual({ id: aigerim.sub, email: aigerim.email, firstname: aigerim.firstname })
  })

  it("fails with the provider's code for an access token it does not know", async () => {
    const error = await rejection(client().userInfo('not-a-token'))
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 100402 })
    expect(error.message).not.toContain('not-a-token')
  })

  it('fails with PROVIDER_UNREACHABLE when nothing listens', async () => {
    const error = await rejection(client({ issuer: `http://127.0.0.1:${await closedPort()}` }).userInfo('t'))
    expect(error.code).toBe('PROVIDER_UNREACHABLE')
  })
})

describe('profile requests', () => {
  it('requests a profile under a new UUID v4 request id', async () => {
    const tokens = await signIn()
    const answer = await client().requestProfile(tokens.access_token)
    expect(answer.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(answer).toMatchObject({ status: 'accepted', freedom_id: aigerim.sub })
  })

  it('sends the given request id and creation time', async () => {
    const server = await scriptedServer({ body: { request_id: 'x', status: 'accepted' } })
    const requestId = randomUUID()
    await client({ profileURL: `${server.url}/get-profile` }).requestProfile('tok', { requestId, createdAt: new Date('2024-10-17T12:00:00Z') })
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ request_id: requestId, created_at: '2024-10-17T12:00:00.000Z' })
    expect(server.requests[0]!.headers.authorization).toBe('Bearer tok')
  })

  it('is rejected without the read.profile grant', async () => {
    const tokens = await signIn(aigerim.sub, ['read.email'])
    expect((await client().requestProfile(tokens.access_token)).status).toBe('rejected')
  })

  it('rejects an invalid createdAt with a TypeError', async () => {
    await expect(client().requestProfile('tok', { createdAt: 'yesterday' })).rejects.toThrow(TypeError)
  })

  it('asks for the status with request_id in the query', async () => {
    const server = await scriptedServer({ body: { request_id: 'r', status: 'pending' } })
    expect((await client({ profileStatusURL: `${server.url}/status` }).profileStatus('tok', 'r 1')).status).toBe('pending')
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/status?request_id=r+1', body: '' })
  })

  it('reports pending right after the request', async () => {
    const tokens = await signIn()
    const c = client()
    const { request_id } = await c.requestProfile(tokens.access_token)
    expect((await c.profileStatus(tokens.access_token, request_id)).status).toBe('pending')
  })

  it.each([
    ['not JSON object', [1, 2]],
    ['without status', { request_id: 'r' }],
  ])('fails with PROFILE_RESPONSE_INVALID for an answer %s', async (_name, body) => {
    const server = await scriptedServer({ body })
    const error = await rejection(client({ profileStatusURL: `${server.url}/status` }).profileStatus('tok', 'r'))
    expect(error.code).toBe('PROFILE_RESPONSE_INVALID')
  })
})

describe('waitForProfile', () => {
  const wait = { interval: 10, maxInterval: 20, timeout: 5000 }

  it('polls until completed and returns the payload', async () => {
    const tokens = await signIn()
    const c = client()
    const { request_id } = await c.requestProfile(tokens.access_token)
    const done = await c.waitForProfile(tokens.access_token, request_id, wait)
    expect(done).toMatchObject({ request_id, status: 'completed', freedom_id: aigerim.sub, profile: { payload: expect.stringMatching(/^[A-Za-z0-9]{96}$/) } })
  })

  it('ends at failed', async () => {
    const tokens = await signIn(unlucky.sub)
    const c = client()
    const { request_id } = await c.requestProfile(tokens.access_token)
    expect((await c.waitForProfile(tokens.access_token, request_id, wait)).status).toBe('failed')
  })

  it('ends at not_found for an unknown request id', async () => {
    const tokens = await signIn()
    expect((await client().waitForProfile(tokens.access_token, randomUUID(), wait)).status).toBe('not_found')
  })

  it("ends at forbidden for another user's request", async () => {
    const mine = await signIn(aigerim.sub)
    const theirs = await signIn(daniyar.sub)
    const c = client()
    const { request_id } = await c.requestProfile(theirs.access_token)
    expect((await c.waitForProfile(mine.access_token, request_id, wait)).status).toBe('forbidden')
  })

  it('ends at rejected, after polling through accepted and pending', async () => {
    const server = await scriptedServer(
      { body: { request_id: 'r', status: 'accepted' } },
      { body: { request_id: 'r', status: 'pending' } },
      { body: { request_id: 'r', status: 'rejected' } },
    )
    const answer = await client({ profileStatusURL: `${server.url}/status` }).waitForProfile('tok', 'r', wait)
    expect(answer.status).toBe('rejected')
    expect(server.requests).toHaveLength(3)
  })

  it('fails with PROFILE_WAIT_TIMEOUT when the request stays pending', async () => {
    const server = await scriptedServer({ body: { request_id: 'r', status: 'pending' } })
    const error = await rejection(client({ profileStatusURL: `${server.url}/status` }).waitForProfile('tok', 'r', { interval: 10, timeout: 100 }))
    expect(error.code).toBe('PROFILE_WAIT_TIMEOUT')
    expect(error.status).toBe(504)
    expect(server.requests.length).toBeGreaterThan(1)
  })

  it('stops with the signal reason when aborted', async () => {
    const server = await scriptedServer({ body: { request_id: 'r', status: 'pending' } })
    const controller = new AbortController()
    const waiting = client({ profileStatusURL: `${server.url}/status` }).waitForProfile('tok', 'r', { interval: 10, signal: controller.signal })
    const reason = new Error('user left')
    setTimeout(() => controller.abort(reason), 30)
    await expect(waiting).rejects.toBe(reason)
  })

  it('makes no call with a signal already aborted', async () => {
    const server = await scriptedServer({ body: { request_id: 'r', status: 'pending' } })
    const error = await rejection(client({ profileStatusURL: `${server.url}/status` }).waitForProfile('tok', 'r', { signal: AbortSignal.abort() }))
    expect(error.name).toBe('AbortError')
    expect(server.requests).toHaveLength(0)
  })

  it('fails with the status call error, such as a refused access token', async () => {
    const error = await rejection(client().waitForProfile('not-a-token', randomUUID(), wait))
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 100402 })
  })

  it.each([
    ['interval', { interval: 0 }],
    ['maxInterval', { maxInterval: -1 }],
    ['timeout', { timeout: Number.NaN }],
  ])('rejects a bad %s with a TypeError naming it', async (name, options) => {
    await expect(client().waitForProfile('tok', 'r', options)).rejects.toThrow(new RegExp(`"${name}"`))
  })
})

describe('createFreedomIdClient options', () => {
  it.each([
    ['clientID', { clientID: '' }],
    ['clientSecret', { clientSecret: undefined }],
    ['issuer', { issuer: 'ftp://x' }],
    ['tokenURL', { tokenURL: 'not a url' }],
    ['timeout', { timeout: 0 }],
  ])('throws a TypeError naming %s', (name, overrides) => {
    expect(() => client(overrides as Partial<FreedomIdClientOptions>)).toThrow(new RegExp(`"${name}"`))
  })
})
