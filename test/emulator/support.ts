import { createHash, randomBytes } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, type JWTVerifyResult } from 'jose'
import request from 'supertest'
import type { Express } from 'express'
import { DEMO_CLIENT, type Emulator } from '../../src/emulator/index.js'

/** The loopback callback used by the tests. */
export const CALLBACK = 'http://127.0.0.1:3000/auth/freedom-id/callback'

/** `Authorization: Basic …` for a client. */
export function basic(id: string = DEMO_CLIENT.clientID, secret: string = DEMO_CLIENT.clientSecret): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
}

/** Query parameters of a valid `GET /openid`, with overrides (`undefined` drops one). */
export function authorizeQuery(overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    client_id: DEMO_CLIENT.clientID,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid read.email read.firstname read.phone',
    state: 'state-123',
    nonce: 'nonce-456',
    ...overrides,
  }
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v)
  return q.toString()
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** Runs `GET /openid` in automatic mode and returns the callback URL's parameters. */
export async function authorize(app: Express, overrides: Record<string, string | undefined> = {}): Promise<URLSearchParams> {
  const res = await request(app).get(`/openid?${authorizeQuery(overrides)}`).expect(302)
  return new URL(res.headers.location!).searchParams
}

/** Signs the first default user in through OIDC and exchanges the code; returns the token response body. */
export async function oidcTokens(
  emulator: Emulator,
  overrides: Record<string, string | undefined> = {},
  tokenBody: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const code = (await authorize(emulator.app, overrides)).get('code')!
  const res = await request(emulator.app)
    .post('/api/v1/oidc/token')
    .set('Authorization', basic())
    .send({ grant_type: 'authorization_code', code, redirect_uri: overrides.redirect_uri ?? CALLBACK, ...tokenBody })
    .expect(200)
  return res.body as Record<string, unknown>
}

/** Verifies an id_token against the JWKS the emulator serves. */
export async function verifyWithServedJWKS(emulator: Emulator, idToken: string): Promise<JWTVerifyResult> {
  const jwks = (await request(emulator.app).get('/.well-known/jwks.json').expect(200)).body
  return jwtVerify(idToken, createLocalJWKSet(jwks), { issuer: emulator.issuer, audience: DEMO_CLIENT.clientID })
}

/** Starts an OAuth2 sign-in: the authorization link's track_id and expire_at. */
export async function oauth2Link(app: Express, redirectURI = CALLBACK, grants: string[] = ['read.email', 'read.profile']): Promise<URL> {
  const res = await request(app)
    .post('/api/v1/oauth/authorize')
    .set('Authorization', basic())
    .send({ redirect_uri: redirectURI, grants })
    .expect(200)
  return new URL(res.body.redirect_uri as string)
}

/** Runs the OAuth2 flow in automatic mode up to the token exchange; returns the token response body. */
export async function oauth2Tokens(
  emulator: Emulator,
  grants?: string[],
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const link = await oauth2Link(emulator.app, CALLBACK, grants)
  const login = await request(emulator.app).get(`${link.pathname}${link.search}`).expect(302)
  const code = new URL(login.headers.location!).searchParams.get('authorization_code')!
  const res = await request(emulator.app)
    .post('/api/v1/oauth/token')
    .set('Authorization', basic())
    .send({ authorization_code: code, ...extra })
    .expect(200)
  return res.body as Record<string, string>
}

/** A controllable clock for the `now` option. */
export function fakeClock(start = Date.UTC(2025, 1, 25, 6, 35, 50)): { now: () => number; advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}
