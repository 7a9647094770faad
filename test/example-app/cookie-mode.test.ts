import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { SESSION_COOKIE } from '../../example-app/app.js'
import { USER_COOKIE } from '../../example-app/user-cookie.js'
import { DEFAULT_USERS, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'
import { formWithButton, signIn, startApp, type Agent, type RunningApp } from './support.js'

/** The sample app with LOGIN_STATE=cookie: no session middleware, the user in a signed cookie, sign-out via onRevoke. */

const [alice, bob] = [DEFAULT_USERS[0]!, DEFAULT_USERS[1]!]
let emulator: RunningEmulator
let app: RunningApp

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: alice.sub })
  app = await startApp(emulator, { loginState: 'cookie' })
})
afterAll(async () => {
  await app.close()
  await emulator.close()
})
beforeEach(() => {
  emulator.reset()
  emulator.setAutoLogin(alice.sub)
})

/** The names of the cookies the app sets on GETs of `paths` through `agent`. */
async function cookieNames(agent: Agent, paths: string[]): Promise<string[]> {
  const names: string[] = []
  for (const path of paths) {
    const res = await agent.get(path)
    for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) names.push(c.slice(0, c.indexOf('=')))
  }
  return names
}

describe('LOGIN_STATE=cookie', () => {
  it('signs in without ever setting a session cookie, and shows the profile', async () => {
    const agent = request.agent(app.url)
    const start = await agent.get('/auth/freedom-id').expect(302)
    const startCookies = ([] as string[]).concat(start.headers['set-cookie'] ?? [])
    expect(startCookies).toEqual([expect.stringMatching(/^freedom-id\.login\.[\w-]+=.*Path=\/auth\/freedom-id\/callback; HttpOnly; SameSite=Lax/)])
    const done = await agent.get(`/auth/freedom-id/callback?${await authorize(start.headers.location!)}`).expect(302)
    expect(done.headers.location).toBe('/profile')
    const set = ([] as string[]).concat(done.headers['set-cookie'] ?? [])
    expect(set.some((c) => c.startsWith(`${USER_COOKIE}=`) && /HttpOnly/.test(c))).toBe(true)
    expect(set.some((c) => /^freedom-id\.login\.[\w-]+=;.*Max-Age=0/.test(c))).toBe(true)
    const profile = await agent.get('/profile').expect(200)
    expect(profile.text).toContain('Aigerim Bekova')
    const names = await cookieNames(agent, ['/', '/profile'])
    expect([...startCookies, ...set, ...names].filter((c) => c.startsWith(SESSION_COOKIE))).toEqual([])
  })

  it("a provider sign-out ends that user's cookie sign-in through onRevoke, and leaves another user's alone", async () => {
    const a = request.agent(app.url)
    const b = request.agent(app.url)
    await signIn(a)
    emulator.setAutoLogin(bob.sub)
    await signIn(b)
    const deliveries = await emulator.logout({ sub: alice.sub })
    expect(deliveries.map((d) => d.status)).toEqual([204])
    await a.get('/profile').expect(302).expect('location', '/')
    await b.get('/profile').expect(200)
  })

  it('"Sign out" clears the user cookie', async () => {
    const agent = request.agent(app.url)
    await signIn(agent)
    const profile = await agent.get('/profile').expect(200)
    const form = formWithButton(profile.text, 'Sign out')
    await agent.post(form.action).set('Origin', app.url).type('form').send(form.fields).expect(303).expect('location', '/?signedOut=app')
    await agent.get('/profile').expect(302).expect('location', '/')
  })

  it('a forged user cookie signs nobody in', async () => {
    const forged = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url') + '.' +
      Buffer.from(JSON.stringify({ user: { id: alice.sub, displayName: 'Mallory' } })).toString('base64url') + '.x'
    await request(app.url).get('/profile').set('Cookie', `${USER_COOKIE}=${forged}`).expect(302).expect('location', '/')
  })

  it('a callback this browser did not start is STATE_MISSING, not a 500, and the home page shows a sentence for people, not the library\'s message', async () => {
    const start = await request(app.url).get('/auth/freedom-id').expect(302)
    const callback = await authorize(start.headers.location!)
    const other = request.agent(app.url)
    await other.get(`/auth/freedom-id/callback?${callback}`).expect(302).expect('location', '/?error=STATE_MISSING')
    for (let visit = 0; visit < 2; visit++) {
      const home = (await other.get('/?error=STATE_MISSING').expect(200)).text
      expect(home).toContain('<div class="alert error" role="alert">This sign-in link has expired or was already used.')
      expect(home).not.toContain('No pending Freedom ID login')
    }
  })
})
