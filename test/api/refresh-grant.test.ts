import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import express from 'express'
import request from 'supertest'
import { createFreedomIdClient } from '../../src/api/api-client.js'
import { createTokenRefresher } from '../../src/api/refresh-middleware.js'
import type { StoredTokens } from '../../src/api/session-tokens.js'
import { startServer, type TestServer } from '../helpers/http-server.js'

let server: TestServer
beforeAll(async () => {
  server = await startServer((req, res, body) => {
    res.setHeader('content-type', 'application/json')
    if (body.includes('refused')) {
      res.statusCode = 400
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'grant request is invalid' }))
      return
    }
    res.end(JSON.stringify({ access_token: 'new-at', refresh_token: 'new-rt', expires_in: 3600, token_type: 'Bearer', id_token: 'x.y.z' }))
  })
})
afterAll(() => server.close())

const base = { clientID: 'client-1', clientSecret: 'secret+/=', issuer: 'http://op.example/', timeout: 1000 }

describe('the standard refresh_token grant of the API client', () => {
  it('posts grant_type=refresh_token to the OIDC token endpoint with the chosen body and client authentication', async () => {
    const client = createFreedomIdClient({ ...base, oidcTokenURL: `${server.url}/token`, refreshGrant: 'refresh_token', tokenRequestFormat: 'form', clientAuthMethod: 'client_secret_post' })
    try {
      await expect(client.refreshTokens('old-rt')).resolves.toMatchObject({ access_token: 'new-at', refresh_token: 'new-rt' })
    } finally {
      await client.close()
    }
    const sent = server.requests.at(-1)!
    expect(sent.method).toBe('POST')
    expect(sent.headers.authorization).toBeUndefined()
    expect(Object.fromEntries(new URLSearchParams(sent.body))).toEqual({ grant_type: 'refresh_token', refresh_token: 'old-rt', client_id: 'client-1', client_secret: 'secret+/=' })
  })

  it('uses the grant per call, and Freedom ID\'s PATCH by default', async () => {
    const client = createFreedomIdClient({ ...base, oidcTokenURL: `${server.url}/oidc-token`, tokenURL: `${server.url}/oauth-token` })
    try {
      await client.refreshTokens('rt')
      expect(server.requests.at(-1)).toMatchObject({ method: 'PATCH', url: '/oauth-token' })
      await client.refreshTokens('rt', { grant: 'refresh_token' })
      expect(server.requests.at(-1)).toMatchObject({ method: 'POST', url: '/oidc-token' })
      expect(JSON.parse(server.requests.at(-1)!.body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt' })
    } finally {
      await client.close()
    }
  })

  it('turns a refused refresh token into REFRESH_TOKEN_INVALID', async () => {
    const client = createFreedomIdClient({ ...base, oidcTokenURL: `${server.url}/token`, refreshGrant: 'refresh_token' })
    try {
      await expect(client.refreshTokens('refused')).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID', providerMessage: 'grant request is invalid' })
    } finally {
      await client.close()
    }
  })

  it('joins the default URLs under an issuer with a trailing slash with one slash', async () => {
    const client = createFreedomIdClient({ ...base, issuer: `${server.url}/`, refreshGrant: 'refresh_token' })
    try {
      await client.refreshTokens('rt')
      expect(server.requests.at(-1)!.url).toBe('/api/v1/oidc/token')
    } finally {
      await client.close()
    }
  })

  it('rejects an unknown refreshGrant with a TypeError naming it', () => {
    expect(() => createFreedomIdClient({ ...base, refreshGrant: 'password' as never })).toThrow('"refreshGrant"')
  })
})

describe('the token refresher with oidcRefreshGrant', () => {
  function appWith(tokens: StoredTokens, grants: Array<unknown>) {
    const app = express()
    let stored: StoredTokens | undefined = tokens
    app.use(
      createTokenRefresher({
        client: { refreshTokens: async (_rt: string, options?: { grant?: string }) => (grants.push(options?.grant), { access_token: 'n', expires_in: 600 }) },
        getTokens: () => stored,
        setTokens: (_req, t) => void (stored = t),
        refreshOidcTokens: true,
        oidcRefreshGrant: 'refresh_token',
      }),
    )
    app.get('/', (_req, res) => res.json(stored ?? null))
    return app
  }
  const expired = new Date(Date.now() - 1000).toISOString()

  it('refreshes an OIDC sign-in with the standard grant and an OAuth2 one with PATCH', async () => {
    const grants: unknown[] = []
    await request(appWith({ access_token: 'a', refresh_token: 'r', access_expire_at: expired, protocol: 'oidc' }, grants)).get('/').expect(200)
    await request(appWith({ access_token: 'a', refresh_token: 'r', access_expire_at: expired, protocol: 'oauth2' }, grants)).get('/').expect(200)
    expect(grants).toEqual(['refresh_token', 'patch'])
  })

  it('rejects an unknown oidcRefreshGrant with a TypeError naming it', () => {
    expect(() => createTokenRefresher({ client: { refreshTokens: async () => ({ access_token: 'a' }) }, oidcRefreshGrant: 'x' as never })).toThrow('"oidcRefreshGrant"')
  })
})
