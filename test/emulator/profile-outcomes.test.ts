import { randomUUID } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS, type EmulatorOptions, type ProfileOutcome } from '../../src/emulator/index.js'
import { basic, CALLBACK, fakeClock, oauth2Tokens } from './support.js'

const aigerim = DEFAULT_USERS[0]!

async function setup(outcome?: ProfileOutcome, options: EmulatorOptions = {}) {
  const clock = fakeClock()
  const users = [{ ...aigerim, ...(outcome && { profileOutcome: outcome }) }]
  const emulator = createEmulator({ autoLogin: aigerim.sub, now: clock.now, users, profileDelay: 1000, ...options })
  const tokens = await oauth2Tokens(emulator, ['read.email', 'read.profile'])
  const auth = `Bearer ${tokens.access_token}`
  const ask = (id: string) =>
    request(emulator.app).post('/api/v1/oauth/get-profile').set('Authorization', auth).send({ request_id: id, created_at: '2024-10-17T12:00:00Z' })
  const status = async (id: string) =>
    (await request(emulator.app).get('/api/v1/oauth/get-profile/status').query({ request_id: id }).set('Authorization', auth).expect(200)).body
  return { emulator, clock, ask, status }
}

describe('per-user profile outcomes', () => {
  it.each<[ProfileOutcome, string]>([
    ['completed', 'completed'],
    ['failed', 'failed'],
    ['error', 'error'],
    ['not_found', 'not_found'],
    ['forbidden', 'forbidden'],
  ])('a user whose profileOutcome is %s: accepted, pending, then %s', async (outcome, final) => {
    const { ask, status, clock } = await setup(outcome)
    const id = randomUUID()
    expect((await ask(id).expect(200)).body.status).toBe('accepted')
    expect((await status(id)).status).toBe('pending')
    clock.advance(1000)
    const done = await status(id)
    expect(done).toMatchObject({ request_id: id, status: final, freedom_id: aigerim.sub })
    expect(done.status_message).toEqual(expect.any(String))
    if (final === 'completed') expect(done.profile.payload).toMatch(/^[A-Za-z0-9]{96}$/)
    else expect(done.profile).toBeUndefined()
  })

  it('rejected: the profile request itself is rejected, though the grant is there, and nothing is stored', async () => {
    const { ask, status } = await setup('rejected')
    const id = randomUUID()
    const res = (await ask(id).expect(200)).body
    expect(res).toMatchObject({ request_id: id, status: 'rejected', freedom_id: aigerim.sub })
    expect(res.status_message).toMatch(/^REJECTED/)
    expect((await status(id)).status).toBe('not_found')
  })

  it('pending: stays pending past profileDelay, until its 24 hours run out', async () => {
    const { ask, status, clock } = await setup('pending')
    const id = randomUUID()
    await ask(id).expect(200)
    clock.advance(23 * 3_600_000)
    expect((await status(id)).status).toBe('pending')
    clock.advance(3_600_000)
    expect((await status(id)).status).toBe('not_found')
  })

  it('the status endpoint says accepted while processing under pendingProfileStatus: accepted, with the docs\' message', async () => {
    const { ask, status, clock } = await setup(undefined, { pendingProfileStatus: 'accepted' })
    const id = randomUUID()
    await ask(id).expect(200)
    expect(await status(id)).toMatchObject({ status: 'accepted', status_message: 'PROCESS: profile is pending' })
    clock.advance(1000)
    expect((await status(id)).status).toBe('completed')
  })
})

describe('tamper hooks of the authorization link and the profile endpoints', () => {
  it('nextAuthorizationLinkResponse replaces the next authorization link answer only', async () => {
    const emulator = createEmulator()
    const body = { error: { message: 'Error validating transmitted data.', errors: { redirect_uri: ['The selected redirect uri is invalid.'] } } }
    emulator.nextAuthorizationLinkResponse({ status: 200, body })
    const call = () =>
      request(emulator.app).post('/api/v1/oauth/authorize').set('Authorization', basic()).send({ redirect_uri: CALLBACK, grants: ['read.email'] })
    const first = await call()
    expect([first.status, first.body]).toEqual([200, body])
    expect((await call()).body.redirect_uri).toMatch(/\/login\?track_id=/)
  })

  it('nextProfileRequestResponse and nextProfileStatusResponse replace the next answer of their endpoint', async () => {
    const { emulator, ask, status } = await setup()
    const id = randomUUID()
    emulator.nextProfileRequestResponse({ body: { error: { message: 'Profile service unavailable.', code: 100900 } } })
    emulator.nextProfileStatusResponse({ status: 503, rawBody: 'busy', contentType: 'text/plain' })
    expect((await ask(id).expect(200)).body).toEqual({ error: { message: 'Profile service unavailable.', code: 100900 } })
    const tampered = await request(emulator.app)
      .get('/api/v1/oauth/get-profile/status')
      .query({ request_id: id })
      .set('Authorization', `Bearer ${emulator.tokens()[0]!.accessToken}`)
    expect([tampered.status, tampered.text]).toEqual([503, 'busy'])
    // The route still ran: the request was stored, and the queues are now empty.
    expect((await status(id)).status).toBe('pending')
    expect((await ask(randomUUID()).expect(200)).body.status).toBe('accepted')
  })

  it('reset() clears the new queues', async () => {
    const emulator = createEmulator()
    emulator.nextAuthorizationLinkResponse({ status: 500 })
    emulator.reset()
    await request(emulator.app).post('/api/v1/oauth/authorize').set('Authorization', basic()).send({ redirect_uri: CALLBACK, grants: ['read.email'] }).expect(200)
  })
})
