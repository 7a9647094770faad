import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createEmulator, DEFAULT_USERS } from '../../src/emulator/index.js'
import { oauth2Tokens, oidcTokens } from './support.js'

const aigerim = DEFAULT_USERS[0]!
const daniyar = DEFAULT_USERS[1]!

interface Received {
  path: string
  contentType: string | undefined
  body: unknown
}

let partner: Server
let partnerURL: string
const received: Received[] = []

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    req.on('data', (chunk: Buffer) => (text += chunk.toString()))
    req.on('end', () => resolve(text))
  })
}

beforeAll(async () => {
  partner = createServer(async (req, res) => {
    const text = await readBody(req)
    received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(text) })
    res.statusCode = req.url === '/gone' ? 410 : 204
    res.end()
  })
  await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve))
  partnerURL = `http://127.0.0.1:${(partner.address() as AddressInfo).port}`
})

afterAll(async () => {
  partner.closeAllConnections()
  await new Promise((resolve) => partner.close(resolve))
})

beforeEach(() => {
  received.length = 0
})

describe('logout', () => {
  it("revokes all of the user's tokens and POSTs each token id to its revoke_uri", async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const oidc = await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    const oauth2 = await oauth2Tokens(emulator, undefined, { revoke_uri: `${partnerURL}/gone` })
    await oidcTokens(emulator)
    emulator.setAutoLogin(daniyar.sub)
    const other = await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })

    const deliveries = await emulator.logout({ sub: aigerim.sub })
    expect(deliveries).toEqual(
      expect.arrayContaining([
        { id: oidc.id, revokeURI: `${partnerURL}/revoke`, status: 204 },
        { id: oauth2.id, revokeURI: `${partnerURL}/gone`, status: 410 },
      ]),
    )
    expect(deliveries).toHaveLength(2)
    expect(received).toEqual(
      expect.arrayContaining([
        { path: '/revoke', contentType: 'application/json', body: { id: oidc.id } },
        { path: '/gone', contentType: 'application/json', body: { id: oauth2.id } },
      ]),
    )
    expect(emulator.tokens().filter((t) => t.sub === aigerim.sub).every((t) => t.revoked)).toBe(true)
    expect(emulator.tokens().find((t) => t.id === other.id)!.revoked).toBe(false)
  })

  it('signs out the user owning a token id, and does not deliver twice', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const first = await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    const second = await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    const deliveries = await emulator.logout({ tokenId: first.id as string })
    expect(deliveries.map((d) => d.id).sort()).toEqual([first.id, second.id].sort())
    expect(await emulator.logout({ tokenId: first.id as string })).toEqual([])
    expect(received).toHaveLength(2)
  })

  it('reports an unreachable revoke_uri as error', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const deadURL = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/revoke`
    await new Promise((resolve) => closed.close(resolve))
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator, {}, { revoke_uri: deadURL })
    expect(await emulator.logout({ sub: aigerim.sub })).toEqual([{ id: tokens.id, revokeURI: deadURL, status: 'error' }])
  })

  it('does nothing for an unknown sub or token id', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    expect(await emulator.logout({ sub: 'nobody' })).toEqual([])
    expect(await emulator.logout({ tokenId: 'nope' })).toEqual([])
    expect(emulator.tokens()[0]!.revoked).toBe(false)
  })
})

describe('POST /__emulator/logout', () => {
  it('answers a JSON caller with the deliveries', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    const res = await request(emulator.app).post('/__emulator/logout').send({ token_id: tokens.id }).expect(200)
    expect(res.body).toEqual({ deliveries: [{ id: tokens.id, revokeURI: `${partnerURL}/revoke`, status: 204 }] })
  })

  it('redirects a browser form to return_to, or to the home page', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    const res = await request(emulator.app)
      .post('/__emulator/logout')
      .type('form')
      .send({ sub: aigerim.sub, return_to: 'http://127.0.0.1:3000/' })
      .expect(303)
    expect(res.headers.location).toBe('http://127.0.0.1:3000/')
    expect(received).toHaveLength(1)
    const home = await request(emulator.app).post('/__emulator/logout').type('form').send({ sub: aigerim.sub }).expect(303)
    expect(home.headers.location).toBe('/')
  })

  it('refuses a return_to off the registered origins, so the form is no open redirect', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    const evil = await request(emulator.app)
      .post('/__emulator/logout')
      .type('form')
      .send({ sub: aigerim.sub, return_to: 'https://evil.example/phish' })
      .expect(422)
    expect(evil.body.error.errors).toHaveProperty('return_to')
    expect(received).toHaveLength(0)
    await request(emulator.app)
      .post('/__emulator/logout')
      .type('form')
      .send({ token_id: tokens.id, return_to: `${emulator.issuer}/` })
      .expect(303)
  })

  it("allows only the origins of a client's registered redirect URIs when it has some", async () => {
    const client = { clientID: 'partner', clientSecret: 'partner-secret', redirectURIs: ['https://app.example/cb'] }
    const emulator = createEmulator({ autoLogin: aigerim.sub, clients: [client] })
    const send = (return_to: string) =>
      request(emulator.app).post('/__emulator/logout').type('form').send({ sub: aigerim.sub, return_to })
    expect((await send('https://app.example/signed-out')).status).toBe(303)
    expect((await send('http://127.0.0.1:3000/')).status).toBe(422)
    expect((await send('https://app.example.evil.example/')).status).toBe(422)
  })

  it.each([
    ['no sub and no token_id', {}],
    ['a numeric sub', { sub: 1 }],
    ['a return_to that is not http(s)', { sub: aigerim.sub, return_to: 'javascript:alert(1)' }],
  ])('answers 422 for %s', async (_name, body) => {
    const emulator = createEmulator()
    const res = await request(emulator.app).post('/__emulator/logout').send(body).expect(422)
    expect(res.body.error.message).toBe('Error validating transmitted data.')
  })

  it('answers 422 for a JSON array body and 400 for broken JSON', async () => {
    const emulator = createEmulator()
    await request(emulator.app).post('/__emulator/logout').send([1]).expect(422)
    const res = await request(emulator.app).post('/__emulator/logout').type('json').send('{').expect(400)
    expect(res.body.error.code).toBe(100106)
  })
})

describe('home page', () => {
  it('lists the users, their active tokens and a sign-out form per user', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator, {}, { revoke_uri: `${partnerURL}/revoke` })
    const res = await request(emulator.app).get('/').expect(200)
    const page = res.text.replace(/<wbr>/g, '') // ids may wrap only at their punctuation
    expect(page).toContain('Aigerim Bekova')
    expect(page).toContain(tokens.id as string)
    expect(res.text.match(/Sign out of Freedom ID/g)).toHaveLength(DEFAULT_USERS.length)
    await emulator.logout({ sub: aigerim.sub })
    expect((await request(emulator.app).get('/').expect(200)).text.replace(/<wbr>/g, '')).not.toContain(tokens.id as string)
  })

  it('lists every token record as JSON at /__emulator/tokens', async () => {
    const emulator = createEmulator({ autoLogin: aigerim.sub })
    const tokens = await oidcTokens(emulator)
    const res = await request(emulator.app).get('/__emulator/tokens').expect(200)
    expect(res.body.tokens).toEqual([expect.objectContaining({ id: tokens.id, sub: aigerim.sub, protocol: 'oidc', revoked: false })])
  })
})
