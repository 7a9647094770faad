import { afterAll, beforeAll, beforeEach, describe, expect, it, test } from '@jest/globals'
import request from 'supertest'
import { request as httpRequest } from 'undici'
import { SESSION_COOKIE } from '../../example-app/app.js'
import { createRedisStores } from '../../example-app/stores.js'
import { DEFAULT_USERS, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'
import { describeWithRedis, startRedis, type RedisServer } from '../helpers/redis.js'
import { formWithButton, postForm, signIn, startApp, type RunningApp } from './support.js'

const alice = DEFAULT_USERS[0]!
let emulator: RunningEmulator
let app: RunningApp

beforeAll(async () => {
  emulator = await startEmulator({ autoLogin: alice.sub })
  app = await startApp(emulator)
})
afterAll(async () => {
  await app.close()
  await emulator.close()
})
beforeEach(() => {
  emulator.reset()
  emulator.setAutoLogin(alice.sub)
  app.logs.length = 0
})

function sessionCookie(res: request.Response): string {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
  const cookie = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))
  if (!cookie) throw new Error('no session cookie was set')
  return cookie
}

describe('signing in', () => {
  it('offers "Sign in with Freedom ID" to a visitor', async () => {
    const res = await request(app.url).get('/').expect(200).expect('content-type', /html/)
    expect(res.text).toContain('<a class="button" href="/auth/freedom-id">Sign in with Freedom ID</a>')
    expect(res.text).toContain(emulator.url)
  })

  it('lands on the profile with name, email, phone, granted scopes and id_token claims', async () => {
    const agent = request.agent(app.url)
    expect(await signIn(agent)).toBe('/profile')
    const res = await agent.get('/profile').expect(200)
    expect(res.text).toContain('<h1>Aigerim Bekova</h1>')
    expect(res.text.replace(/<wbr>/g, '')).toContain(alice.email)
    expect(res.text).toContain(alice.phone)
    for (const scope of ['openid', 'read.firstname', 'read.lastname', 'read.email', 'read.phone']) {
      expect(res.text).toContain(`<li>${scope}</li>`)
    }
    expect(res.text).toContain(`<th scope="row">iss</th><td><code>${emulator.url}</code>`)
    expect(res.text.replace(/<wbr>/g, '')).toContain(`<th scope="row">sub</th><td><code class="id">${alice.sub}</code>`)
    expect(res.text).toMatch(/<th scope="row">exp<\/th><td><code>\d+<\/code> <span class="muted">\(\d{4}-/)
    expect(res.headers['cache-control']).toBe('no-store')
    const home = await agent.get('/').expect(200)
    expect(home.text).toContain('Hello, Aigerim Bekova')
  })

  it('sets an HttpOnly, SameSite=Lax session cookie, not Secure over plain HTTP: 10 minutes while a sign-in is pending, 8 hours once signed in', async () => {
    const expiresIn = (cookie: string) => Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!) - Date.now()
    const start = await request(app.url).get('/auth/freedom-id').expect(302)
    const pending = sessionCookie(start)
    expect(pending).toMatch(/; HttpOnly/)
    expect(pending).toMatch(/; SameSite=Lax/)
    expect(pending).not.toMatch(/; Secure/)
    expect(expiresIn(pending)).toBeGreaterThan(9.9 * 60_000)
    expect(expiresIn(pending)).toBeLessThanOrEqual(10 * 60_000)

    const callback = await authorize(start.headers.location!)
    const done = await request(app.url)
      .get(`/auth/freedom-id/callback?${callback}`)
      .set('Cookie', pending.split(';')[0]!)
      .expect(302)
    expect(done.headers.location).toBe('/profile')
    const signedIn = sessionCookie(done)
    expect(signedIn).toMatch(/; HttpOnly/)
    expect(expiresIn(signedIn)).toBeGreaterThan(7.9 * 3600_000)
    expect(expiresIn(signedIn)).toBeLessThanOrEqual(8 * 3600_000)
  })

  it('marks the session cookie Secure behind a trusted proxy that terminated HTTPS; the callback stays on its origin', async () => {
    const proxied = await startApp(emulator, { trustProxy: 'loopback', origins: ['https://app.example'] })
    try {
      const res = await request(proxied.url)
        .get('/auth/freedom-id')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-Host', 'evil.example')
        .expect(302)
      expect(sessionCookie(res)).toMatch(/; Secure/)
      expect(new URL(res.headers.location!).searchParams.get('redirect_uri')).toBe('https://app.example/auth/freedom-id/callback')
    } finally {
      await proxied.close()
    }
  })

  it('sends a Content-Security-Policy whose forms may post only to the app and the emulator', async () => {
    const res = await request(app.url).get('/').expect(200)
    const csp = res.headers['content-security-policy']!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain(`form-action 'self' ${emulator.url}`)
    expect(csp).not.toContain('unsafe-inline')
    await request(app.url).get('/style.css').expect(200).expect('content-type', /css/)
  })

  it('sends a visitor of the profile page to the home page', async () => {
    await request(app.url).get('/profile').expect(302).expect('location', '/')
  })
})

describe('returnTo', () => {
  it('brings the user back to a same-origin path after sign-in', async () => {
    const agent = request.agent(app.url)
    expect(await signIn(agent, '/auth/freedom-id?returnTo=%2F%3Ffrom%3Dlink')).toBe('/?from=link')
  })

  test.each([
    ['an absolute URL', 'https://evil.example/steal'],
    ['a scheme-relative URL', '//evil.example/steal'],
    ['a backslash URL', '/\\evil.example/steal'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a header injection', '/\r\nSet-Cookie:x=1'],
  ])('ignores %s and lands on the profile', async (_name, returnTo) => {
    const agent = request.agent(app.url)
    expect(await signIn(agent, `/auth/freedom-id?returnTo=${encodeURIComponent(returnTo)}`)).toBe('/profile')
  })
})

describe('failed sign-ins', () => {
  it('shows a sentence for people on the home page when the user cancels on the emulator, and logs the full message', async () => {
    emulator.setAutoLogin(false)
    const agent = request.agent(app.url)
    const start = await agent.get('/auth/freedom-id').expect(302)
    const consent = await httpRequest(start.headers.location!)
    const page = await consent.body.text()
    expect(consent.statusCode).toBe(200)
    const transaction = /name="transaction" value="([^"]+)"/.exec(page)![1]!
    const cancelled = await postForm(`${emulator.url}/openid/decide`, { transaction, cancel: '1' })
    expect(cancelled.status).toBe(303)
    const callback = new URL(cancelled.location!)
    expect(callback.searchParams.get('error')).toBe('access_denied')
    await agent.get(`${callback.pathname}${callback.search}`).expect(302).expect('location', '/?error=ACCESS_DENIED')
    const home = await agent.get('/?error=ACCESS_DENIED').expect(200)
    expect(home.text).toContain('<div class="alert error" role="alert">You cancelled the sign-in. Nothing was shared with this app.</div>')
    expect(home.text).toContain('Sign in with Freedom ID')
    expect(app.logs).toContainEqual(expect.stringMatching(/^sign-in failed: ACCESS_DENIED: The user cancelled/))
    const again = await agent.get('/?error=ACCESS_DENIED').expect(200)
    expect(again.text).toContain('You cancelled the sign-in.')
  })

  it('turns a callback this browser did not start into STATE_MISSING, not a 500', async () => {
    const start = await request(app.url).get('/auth/freedom-id').expect(302)
    const callback = await authorize(start.headers.location!)
    const stranger = request.agent(app.url)
    await stranger.get(`/auth/freedom-id/callback?${callback}`).expect(302).expect('location', '/?error=STATE_MISSING')
    const home = await stranger.get('/?error=STATE_MISSING').expect(200)
    expect(home.text).toContain('<div class="alert error" role="alert">This sign-in link has expired or was already used.')
    expect(home.text).not.toContain('No pending Freedom ID login')
  })

  it('sends a signed-in person who revisits the used callback on to the profile', async () => {
    const agent = request.agent(app.url)
    const start = await agent.get('/auth/freedom-id').expect(302)
    const callback = await authorize(start.headers.location!)
    await agent.get(`/auth/freedom-id/callback?${callback}`).expect(302).expect('location', '/profile')
    await agent.get(`/auth/freedom-id/callback?${callback}`).expect(302).expect('location', '/profile')
    await agent.get('/profile').expect(200)
  })

  it('serves a favicon the pages link to', async () => {
    const home = await request(app.url).get('/').expect(200)
    expect(home.text).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">')
    const icon = await request(app.url).get('/favicon.svg').expect(200).expect('content-type', /image\/svg\+xml/)
    expect(icon.body.toString()).toMatch(/^<svg /)
    await request(app.url).get('/favicon.ico').expect(301).expect('location', '/favicon.svg')
  })

  it('renders a provider fault as a 502 page with the error code and no stack trace', async () => {
    emulator.nextTokenResponse({ status: 503, rawBody: 'upstream down', contentType: 'text/plain' })
    const agent = request.agent(app.url)
    const start = await agent.get('/auth/freedom-id').expect(302)
    const callback = await authorize(start.headers.location!)
    const res = await agent.get(`/auth/freedom-id/callback?${callback}`).expect(502).expect('content-type', /html/)
    expect(res.text).toContain('<code>PROVIDER_HTTP_ERROR</code>')
    expect(res.text).toContain('Freedom ID could not complete the sign-in.')
    expect(res.text).not.toMatch(/\bat .+:\d+:\d+/)
    expect(res.text).not.toContain('code=')
    expect(app.logs).toEqual([expect.stringMatching(/^GET \/auth\/freedom-id\/callback failed with 502: PROVIDER_HTTP_ERROR/)])
    await agent.get('/profile').expect(302).expect('location', '/')
  })

  it('sends a failure on the start route home too, instead of a bare 401 (an error without a pending login is STATE_MISSING)', async () => {
    await request(app.url).get('/auth/freedom-id?error=access_denied').expect(302).expect('location', '/?error=STATE_MISSING')
  })

  test.each([
    ['a callback with two codes', 'GET', '/auth/freedom-id/callback?code=a&code=b&state=x', undefined, 302],
    ['a callback with a provider error code', 'GET', '/auth/freedom-id/callback?error_code=100102', undefined, 302],
    ['an array returnTo', 'GET', '/auth/freedom-id?returnTo=/a&returnTo=/b', undefined, 302],
    ['a revoke call that is not JSON', 'POST', 'REVOKE', 'not json', 400],
    ['a revoke call without an id', 'POST', 'REVOKE', '{}', 400],
    ['a GET of the revoke route', 'GET', 'REVOKE', undefined, 405],
    ['a revoke call at the guessable path without the secret', 'POST', '/auth/freedom-id/revoke', '{}', 404],
    ['an unknown page', 'GET', '/nowhere', undefined, 404],
    ['a GET of the sign-out route', 'GET', '/logout', undefined, 404],
    ['a bad percent-encoding', 'GET', '/%E0%A4%A', undefined, 404],
  ])('answers %s without a server error', async (_name, method, route, body, status) => {
    const path = route === 'REVOKE' ? app.config.revokePath : route
    const req = method === 'POST' ? request(app.url).post(path).set('content-type', 'application/json').send(body) : request(app.url).get(path)
    const res = await req
    expect(res.status).toBe(status)
    expect(app.logs.filter((line) => !line.startsWith('sign-in failed: '))).toEqual([])
  })
})

describe('signing out', () => {
  it("ends the session on a POST from the app's own page", async () => {
    const agent = request.agent(app.url)
    await signIn(agent)
    await agent.post('/logout').set('Origin', app.url).expect(303).expect('location', '/?signedOut=app')
    await agent.get('/profile').expect(302).expect('location', '/')
    const home = await agent.get('/?signedOut=app').expect(200)
    expect(home.text).toContain('You signed out of this app.')
  })

  it('accepts a POST marked Sec-Fetch-Site: same-origin', async () => {
    const agent = request.agent(app.url)
    await signIn(agent)
    await agent.post('/logout').set('Sec-Fetch-Site', 'same-origin').expect(303)
    await agent.get('/profile').expect(302)
  })

  test.each([
    ['from another origin', { Origin: 'http://evil.example' }],
    ['marked cross-site', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.example' }],
    ['marked same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ['without Origin or Sec-Fetch-Site', {}],
  ])('refuses a sign-out POST %s with 403 and keeps the session', async (_name, headers: Record<string, string>) => {
    const agent = request.agent(app.url)
    await signIn(agent)
    const res = await agent.post('/logout').set(headers).expect(403)
    expect(res.text).toContain('did not come from a page of this site')
    await agent.get('/profile').expect(200)
  })

  it('ends the app session when the user signs out of Freedom ID (revoke_uri)', async () => {
    const agent = request.agent(app.url)
    await signIn(agent)
    await agent.get('/profile').expect(200)
    const deliveries = await emulator.logout({ sub: alice.sub })
    expect(deliveries).toEqual([{ id: expect.any(String), revokeURI: `${app.url}${app.config.revokePath}`, status: 204 }])
    await agent.get('/profile').expect(302).expect('location', '/')
  })

  it('"Sign out of Freedom ID" on the profile signs out at the emulator and comes back signed out', async () => {
    const agent = request.agent(app.url)
    await signIn(agent)
    const profile = await agent.get('/profile').expect(200)
    const form = formWithButton(profile.text, 'Sign out of Freedom ID')
    expect(form.action).toBe(`${emulator.url}/__emulator/logout`)
    expect(form.fields).toEqual({ sub: alice.sub, return_to: `${app.url}/?signedOut=freedom-id` })
    const back = await postForm(form.action, form.fields)
    expect(back).toEqual({ status: 303, location: `${app.url}/?signedOut=freedom-id` })
    const home = await agent.get('/?signedOut=freedom-id').expect(200)
    expect(home.text).toContain('You signed out of Freedom ID, which ended this app&#39;s session too.')
    expect(home.text).toContain('Sign in with Freedom ID')
    await agent.get('/profile').expect(302)
  })
})

describeWithRedis('with REDIS_URL', () => {
  let redis: RedisServer
  let redisApp: RunningApp

  beforeAll(async () => {
    redis = await startRedis()
    redisApp = await startApp(emulator, { redisURL: redis.url }, await createRedisStores(redis.url))
  })
  afterAll(async () => {
    await redisApp?.close()
    await redisApp?.stores.close()
    await redis?.stop()
  })

  it('keeps sessions in Redis and ends them when the user signs out of Freedom ID', async () => {
    const agent = request.agent(redisApp.url)
    await signIn(agent)
    await agent.get('/profile').expect(200)
    const count = await new Promise<number>((resolve, reject) =>
      redisApp.stores.sessionStore.length!((err, length) => (err ? reject(err) : resolve(length ?? 0))),
    )
    expect(count).toBe(1)
    const [delivery] = await emulator.logout({ sub: alice.sub })
    expect(delivery?.status).toBe(204)
    await agent.get('/profile').expect(302).expect('location', '/')
  })

  it('names REDIS_URL, without its password, when Redis cannot be reached', async () => {
    const closed = new URL(redis.url)
    closed.port = '1'
    closed.password = 'hunter2'
    const err = await createRedisStores(closed.href, () => undefined).catch((e: Error) => e)
    expect((err as Error).message).toMatch(/^Could not connect to Redis at REDIS_URL \(redis:\/\/127\.0\.0\.1:1\)/)
    expect((err as Error).message).not.toContain('hunter2')
  })
})

describe('with FREEDOM_ID_PROTOCOL=oauth2', () => {
  let oauth2App: RunningApp

  beforeAll(async () => {
    oauth2App = await startApp(emulator, { protocol: 'oauth2' })
  })
  afterAll(async () => {
    await oauth2App.close()
  })

  it('signs in through the authorization link and shows a profile without id_token claims', async () => {
    const agent = request.agent(oauth2App.url)
    const start = await agent.get('/auth/freedom-id').expect(302)
    expect(start.headers.location).toMatch(new RegExp(`^${emulator.url}/login\\?`))
    const callback = await authorize(start.headers.location!)
    expect(callback.get('authorization_code')).toBeTruthy()
    const back = new URL(`/auth/freedom-id/callback?${callback}`, oauth2App.url)
    await agent.get(`${back.pathname}${back.search}`).expect(302).expect('location', '/profile')
    const profile = await agent.get('/profile').expect(200)
    expect(profile.text).toContain('<h1>Aigerim Bekova</h1>')
    expect(profile.text).toContain('No id_token: the OAuth2 flavour of Freedom ID does not issue one.')
    expect(profile.text).not.toContain('<li>openid</li>')
    // No scope in the OAuth2 token response: the grants shown are those whose fields came back.
    expect(profile.text).toContain('(from the data Freedom ID returned)')
    for (const grant of ['read.email', 'read.firstname', 'read.lastname']) expect(profile.text).toContain(`<li>${grant}</li>`)
    await emulator.logout({ sub: alice.sub })
    await agent.get('/profile').expect(302).expect('location', '/')
  })

  it('reads a cancel on the emulator like the OpenID Connect cancel', async () => {
    const agent = request.agent(oauth2App.url)
    emulator.setAutoLogin(false)
    const start = await agent.get('/auth/freedom-id').expect(302)
    const consent = await httpRequest(start.headers.location!)
    const page = await consent.body.text()
    const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&')
    const transaction = /name="transaction" value="([^"]+)"/.exec(page)![1]!
    const cancelled = await postForm(new URL(action, emulator.url).href, { transaction, cancel: '1' })
    const callback = new URL(cancelled.location!)
    expect(callback.searchParams.get('error_code')).toBe('100102')
    const failed = await agent.get(`${callback.pathname}${callback.search}`).expect(302)
    expect(failed.headers.location).toBe('/?error=ACCESS_DENIED')
    const home = await agent.get(failed.headers.location!).expect(200)
    expect(home.text).toContain('You cancelled the sign-in. Nothing was shared with this app.')
  })
})

describe('the revoke route of the sample app', () => {
  it('lives at a secret path only: a POST at the guessable path ends no session', async () => {
    const agent = request.agent(app.url)
    await signIn(agent)
    const token = emulator.tokens().filter((t) => t.sub === alice.sub && !t.revoked).at(-1)!
    expect(token.revokeURI).toBe(`${app.url}${app.config.revokePath}`)
    expect(app.config.revokePath).toMatch(/^\/auth\/freedom-id\/revoke\/[0-9a-f]{64}$/)
    await request(app.url).post('/auth/freedom-id/revoke').send({ id: token.id }).expect(404)
    await agent.get('/profile').expect(200)
  })

  it('takes calls only from REVOKE_ALLOW_FROM when it is set', async () => {
    const fenced = await startApp(emulator, { revokeAllowFrom: ['203.0.113.0/24'] })
    const open = await startApp(emulator, { revokeAllowFrom: ['127.0.0.1'] })
    try {
      const agent = request.agent(fenced.url)
      await signIn(agent)
      const deliveries = await emulator.logout({ sub: alice.sub })
      expect(deliveries.map((d) => d.status)).toEqual([403])
      await agent.get('/profile').expect(200)
      const allowed = request.agent(open.url)
      await signIn(allowed)
      expect((await emulator.logout({ sub: alice.sub })).map((d) => d.status)).toEqual([204])
      await allowed.get('/profile').expect(302)
    } finally {
      await fenced.close()
      await open.close()
    }
  })
})
