import { randomUUID } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS, type EmulatorOptions } from '../../src/emulator/index.js'
import { fakeClock, oauth2Tokens } from './support.js'

const aigerim = DEFAULT_USERS[0]!
const daniyar = DEFAULT_USERS[1]!
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

async function setup(options: EmulatorOptions = {}, grants = ['read.email', 'read.profile']) {
  const clock = fakeClock()
  const emulator = createEmulator({ autoLogin: aigerim.sub, now: clock.now, ...options })
  const tokens = await oauth2Tokens(emulator, grants)
  const auth = `Bearer ${tokens.access_token}`
  const ask = (requestID = randomUUID()) =>
    request(emulator.app)
      .post('/api/v1/oauth/get-profile')
      .set('Authorization', auth)
      .send({ request_id: requestID, created_at: '2024-10-17T12:00:00Z' })
  const status = (requestID: string, authorization = auth) =>
    request(emulator.app).get('/api/v1/oauth/get-profile/status').query({ request_id: requestID }).set('Authorization', authorization)
  return { emulator, clock, tokens, auth, ask, status }
}

describe('POST /api/v1/oauth/get-profile', () => {
  it('accepts a request with the read.profile grant', async () => {
    const { ask } = await setup()
    const id = randomUUID()
    const res = await ask(id).expect(200)
    expect(res.body).toEqual({ request_id: id, status: 'accepted', status_message: 'PROCESS: profile is pending', freedom_id: aigerim.sub })
  })

  it('rejects a request without the read.profile grant', async () => {
    const { ask, status } = await setup({}, ['read.email'])
    const id = randomUUID()
    const res = await ask(id).expect(200)
    expect(res.body).toMatchObject({ request_id: id, status: 'rejected', freedom_id: aigerim.sub })
    expect((await status(id).expect(200)).body.status).toBe('not_found')
  })

  it.each([
    ['no request_id', { created_at: '2024-10-17T12:00:00Z' }, 'request_id'],
    ['a request_id that is not a UUID', { request_id: 'abc', created_at: '2024-10-17T12:00:00Z' }, 'request_id'],
    ['no created_at', { request_id: randomUUID() }, 'created_at'],
    ['a created_at that is not a date', { request_id: randomUUID(), created_at: 'yesterday' }, 'created_at'],
  ])('answers 422 for %s', async (_name, body, field) => {
    const { emulator, auth } = await setup()
    const res = await request(emulator.app).post('/api/v1/oauth/get-profile').set('Authorization', auth).send(body).expect(422)
    expect(Object.keys(res.body.error.errors)).toEqual([field])
  })

  it('answers 401 with code 100402 without a valid access token', async () => {
    const { emulator } = await setup()
    const res = await request(emulator.app).post('/api/v1/oauth/get-profile').set('Authorization', 'Bearer nope').send({}).expect(401)
    expect(res.body.error.code).toBe(100402)
  })

  it('answers 400 with code 100106 for a JSON array body', async () => {
    const { emulator, auth } = await setup()
    const res = await request(emulator.app).post('/api/v1/oauth/get-profile').set('Authorization', auth).send([1]).expect(400)
    expect(res.body.error.code).toBe(100106)
  })
})

describe('GET /api/v1/oauth/get-profile/status', () => {
  it('is pending, then completed with a 96-character payload after profileDelay', async () => {
    const { ask, status, clock } = await setup({ profileDelay: 1000 })
    const id = randomUUID()
    await ask(id).expect(200)
    const pending = (await status(id).expect(200)).body
    expect(pending).toMatchObject({ request_id: id, status: 'pending', freedom_id: aigerim.sub })
    expect(pending.profile).toBeUndefined()
    expect(pending.datetime).toMatch(DATETIME)
    clock.advance(1000)
    const done = (await status(id).expect(200)).body
    expect(done).toMatchObject({ request_id: id, status: 'completed', freedom_id: aigerim.sub })
    expect(done.profile.payload).toMatch(/^[A-Za-z0-9]{96}$/)
  })

  it('keeps the first request when the same request_id is sent again', async () => {
    const { ask, status, clock } = await setup({ profileDelay: 1000 })
    const id = randomUUID()
    await ask(id).expect(200)
    clock.advance(600)
    await ask(id).expect(200)
    clock.advance(400)
    expect((await status(id).expect(200)).body.status).toBe('completed')
  })

  it('ends failed for a user whose profileOutcome is failed', async () => {
    const users = [{ ...aigerim, profileOutcome: 'failed' as const }]
    const { ask, status, clock } = await setup({ users, profileDelay: 10 })
    const id = randomUUID()
    await ask(id).expect(200)
    clock.advance(10)
    const res = (await status(id).expect(200)).body
    expect(res.status).toBe('failed')
    expect(res.profile).toBeUndefined()
  })

  it('is not_found once the completed data is 60 minutes old', async () => {
    const { ask, status, clock } = await setup({ profileDelay: 1000 })
    const id = randomUUID()
    await ask(id).expect(200)
    clock.advance(1000 + 59 * 60_000)
    expect((await status(id).expect(200)).body.status).toBe('completed')
    clock.advance(60_000)
    expect((await status(id).expect(200)).body.status).toBe('not_found')
  })

  it('is not_found once a pending request is 24 hours old', async () => {
    const { ask, status, clock } = await setup({ profileDelay: 48 * 3_600_000 })
    const id = randomUUID()
    await ask(id).expect(200)
    clock.advance(24 * 3_600_000 - 1)
    expect((await status(id).expect(200)).body.status).toBe('pending')
    clock.advance(1)
    expect((await status(id).expect(200)).body.status).toBe('not_found')
  })

  it('is not_found for an unknown request_id', async () => {
    const { status } = await setup()
    expect((await status(randomUUID()).expect(200)).body.status).toBe('not_found')
  })

  it("is forbidden with another user's token", async () => {
    const { emulator, ask, status } = await setup()
    const id = randomUUID()
    await ask(id).expect(200)
    emulator.setAutoLogin(daniyar.sub)
    const other = await oauth2Tokens(emulator, ['read.profile'])
    const res = (await status(id, `Bearer ${other.access_token}`).expect(200)).body
    expect(res).toMatchObject({ status: 'forbidden', freedom_id: daniyar.sub })
    expect(res.profile).toBeUndefined()
  })

  it('reads the request_id from a JSON body as the docs show', async () => {
    const { emulator, ask, auth } = await setup()
    const id = randomUUID()
    await ask(id).expect(200)
    const res = await request(emulator.app).get('/api/v1/oauth/get-profile/status').set('Authorization', auth).send({ request_id: id }).expect(200)
    expect(res.body).toMatchObject({ request_id: id, status: 'pending' })
  })

  it('answers 422 without a request_id and 401 without a token', async () => {
    const { emulator, auth } = await setup()
    const res = await request(emulator.app).get('/api/v1/oauth/get-profile/status').set('Authorization', auth).expect(422)
    expect(Object.keys(res.body.error.errors)).toEqual(['request_id'])
    await request(emulator.app).get('/api/v1/oauth/get-profile/status?request_id=x').expect(401)
  })
})
