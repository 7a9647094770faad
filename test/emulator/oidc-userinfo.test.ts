import { describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS } from '../../src/emulator/index.js'
import { fakeClock, oidcTokens } from './support.js'

const aigerim = DEFAULT_USERS[0]!

describe('GET /api/v1/oidc/userinfo', () => {
  it('returns the sub and exactly the fields of the granted scopes', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator, { scope: 'openid read.email read.phones read.date_of_birth read.profile' })
    const res = await request(emulator.app)
      .get('/api/v1/oidc/userinfo')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200)
    expect(res.body).toEqual({
      sub: aigerim.sub,
      email: aigerim.email,
      phones: aigerim.phones,
      date_of_birth: aigerim.date_of_birth,
    })
    expect(emulator.stats.userinfo).toBe(1)
  })

  it('leaves out granted fields the user does not have', async () => {
    const yerlan = DEFAULT_USERS[2]!
    const emulator = createEmulator({ autoLogin: yerlan.sub })
    const tokens = await oidcTokens(emulator, { scope: 'openid read.email read.firstname read.phone' })
    const res = await request(emulator.app)
      .get('/api/v1/oidc/userinfo')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200)
    expect(res.body).toEqual({ sub: yerlan.sub, firstname: 'Yerlan', phone: yerlan.phone })
  })

  it('answers a POST the same way', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator)
    const res = await request(emulator.app)
      .post('/api/v1/oidc/userinfo')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200)
    expect(res.body.sub).toBe(aigerim.sub)
  })

  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'Bearer unknown'],
    ['a Basic header', 'Basic Og=='],
    ['an empty Bearer', 'Bearer '],
  ])('answers 401 with code 100402 for %s', async (_name, header) => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const req = request(emulator.app).get('/api/v1/oidc/userinfo')
    if (header !== undefined) req.set('Authorization', header)
    const res = await req.expect(401)
    expect(res.body).toEqual({ error: { message: 'Unauthenticated.', code: 100402 } })
  })

  it('refuses an access token once it has expired', async () => {
    const clock = fakeClock()
    const emulator = createEmulator({ autoLogin: aigerim.sub, now: clock.now, accessTokenTTL: 3600 })
    const tokens = await oidcTokens(emulator)
    const auth = `Bearer ${tokens.access_token}`
    clock.advance(3_599_000)
    await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', auth).expect(200)
    clock.advance(1_000)
    const res = await request(emulator.app).get('/api/v1/oidc/userinfo').set('Authorization', auth).expect(401)
    expect(res.body.error.code).toBe(100402)
  })

  it('refuses an access token revoked by a sign-out', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator)
    await emulator.logout({ sub: aigerim.sub })
    const res = await request(emulator.app)
      .get('/api/v1/oidc/userinfo')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(401)
    expect(res.body.error.code).toBe(100402)
  })
})
