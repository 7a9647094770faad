import { describe, expect, it, jest } from '@jest/globals'
import { Agent, request } from 'undici'
import { createEmulator, DEFAULT_USERS, DEMO_CLIENT, startEmulator } from '../../src/emulator/index.js'
import { withEmulator } from '../helpers/emulator.js'
import { authorizeQuery, basic, CALLBACK } from './support.js'

const aigerim = DEFAULT_USERS[0]!
const emulator = withEmulator({ autoLogin: aigerim.sub })

async function codeFrom(url: string): Promise<string> {
  const res = await request(`${url}/openid?${authorizeQuery()}`)
  await res.body.dump()
  return new URL(res.headers.location as string).searchParams.get('code')!
}

describe('startEmulator', () => {
  it.each([
    ['0.0.0.0', true],
    ['127.0.0.1', false],
    ['localhost', false],
  ])('on host %s warns that it is reachable from other machines: %s', async (host, warns) => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    try {
      const running = await startEmulator({ host })
      await running.close()
      const ours = spy.mock.calls.filter((c) => (c[1] as { code?: string } | undefined)?.code === 'FREEDOM_ID_EMULATOR_EXPOSED')
      expect(ours).toHaveLength(warns ? 1 : 0)
      if (warns) expect(String(ours[0]![0])).toContain('0.0.0.0')
    } finally {
      spy.mockRestore()
    }
  })

  it('listens on 127.0.0.1 on a free port and uses its own URL as the issuer', async () => {
    const { url, issuer } = emulator()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(issuer).toBe(url)
    const res = await request(`${url}/.well-known/openid-configuration`)
    expect(await res.body.json()).toMatchObject({ issuer: url, token_endpoint: `${url}/api/v1/oidc/token` })
  })

  it('counts the TCP connections it accepts', async () => {
    const before = emulator().stats.connections
    const agent = new Agent({ connections: 1 })
    for (let i = 0; i < 3; i++) await (await request(`${emulator().url}/.well-known/jwks.json`, { dispatcher: agent })).body.dump()
    await agent.close()
    const fresh = new Agent()
    await (await request(`${emulator().url}/.well-known/jwks.json`, { dispatcher: fresh })).body.dump()
    await fresh.close()
    expect(emulator().stats.connections - before).toBe(2)
  })

  it('keeps an explicit issuer', async () => {
    const running = await startEmulator({ issuer: 'https://passport.example' })
    try {
      expect(running.issuer).toBe('https://passport.example')
      const res = await request(`${running.url}/.well-known/openid-configuration`)
      expect(((await res.body.json()) as { issuer: string }).issuer).toBe('https://passport.example')
    } finally {
      await running.close()
    }
  })

  it('closes with idle keep-alive connections open', async () => {
    const running = await startEmulator()
    const agent = new Agent({ keepAliveTimeout: 60_000 })
    await (await request(`${running.url}/.well-known/jwks.json`, { dispatcher: agent })).body.dump()
    await running.close()
    await expect(request(`${running.url}/.well-known/jwks.json`, { dispatcher: agent })).rejects.toBeDefined()
    await agent.close()
    await running.close()
  })

  it('rejects with a TypeError for an invalid option', async () => {
    await expect(startEmulator({ port: 0, autoLogin: 'nobody' })).rejects.toThrow(TypeError)
  })

  it('rejects when the port is taken', async () => {
    const port = Number(new URL(emulator().url).port)
    await expect(startEmulator({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })

  it('changes nothing when the client gives up during a delay', async () => {
    const { url } = emulator()
    const code = await codeFrom(url)
    emulator().nextTokenResponse({ delay: 60_000 })
    const body = JSON.stringify({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })
    const headers = { authorization: basic(), 'content-type': 'application/json' }
    const controller = new AbortController()
    const pending = request(`${url}/api/v1/oidc/token`, { method: 'POST', headers, body, signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await expect(pending).rejects.toBeDefined()
    const res = await request(`${url}/api/v1/oidc/token`, { method: 'POST', headers, body })
    expect(res.statusCode).toBe(200)
    await res.body.dump()
  })
})

describe('createEmulator options', () => {
  it.each([
    ['an unknown autoLogin sub', { autoLogin: 'nobody' }, 'autoLogin'],
    ['an unsupported idTokenAlg', { idTokenAlg: 'none' as never }, 'idTokenAlg'],
    ['a negative codeTTL', { codeTTL: -1 }, 'codeTTL'],
    ['a non-numeric accessTokenTTL', { accessTokenTTL: '60' as never }, 'accessTokenTTL'],
    ['an issuer that is not a URL', { issuer: 'passport' }, 'issuer'],
    ['an ftp issuer', { issuer: 'ftp://passport.example' }, 'issuer'],
  ])('throws a TypeError naming the option for %s', (_name, options, option) => {
    expect(() => createEmulator(options)).toThrow(TypeError)
    expect(() => createEmulator(options)).toThrow(option)
  })

  it('defaults to the demo client, the default users and issuer http://localhost', () => {
    const created = createEmulator()
    expect(created.clients).toEqual([{ clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret }])
    expect(created.users.map((u) => u.sub)).toEqual(DEFAULT_USERS.map((u) => u.sub))
    expect(created.issuer).toBe('http://localhost')
  })

  it('switches automatic sign-in on and off', async () => {
    const created = createEmulator()
    const { default: supertest } = await import('supertest')
    await supertest(created.app).get(`/openid?${authorizeQuery()}`).expect(200)
    created.setAutoLogin(aigerim.sub)
    await supertest(created.app).get(`/openid?${authorizeQuery()}`).expect(302)
    created.setAutoLogin(false)
    await supertest(created.app).get(`/openid?${authorizeQuery()}`).expect(200)
    expect(() => created.setAutoLogin('nobody')).toThrow(TypeError)
  })
})
