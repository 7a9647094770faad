import { randomBytes } from 'node:crypto'
import { importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose'
import { Agent, request } from 'undici'
import { createShell, signedIn, BENCH_SCOPE, type BenchUser } from './shell.js'
import type { BenchApp, BenchAppConfig } from './types.js'

interface PendingLogin {
  state: string
  nonce: string
}

type FloorSession = { login?: PendingLogin; user?: BenchUser }

/**
 * The floor: only what a sign-in cannot do without. One redirect; then one token POST and one userinfo GET with
 * `undici.request` on a keep-alive `Agent`, one `jose` verify with a key fetched once at start-up, one session
 * regenerate and write. No Passport, no discovery, no error reporting beyond a 401.
 */
export async function createFloorApp(config: BenchAppConfig): Promise<BenchApp> {
  const { app, store } = createShell()
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 })
  const jwks = await request(`${config.issuer}/.well-known/jwks.json`, { dispatcher: agent })
  const jwk = ((await jwks.body.json()) as { keys: JWK[] }).keys[0]
  if (!jwk) throw new Error('the emulator serves no key')
  const alg = jwk.alg ?? 'RS256'
  const key = (await importJWK(jwk, alg)) as CryptoKey
  const redirectURI = `${config.appURL}/callback`
  const authorizeBase =
    `${config.issuer}/openid?response_type=code&client_id=${encodeURIComponent(config.clientID)}` +
    `&redirect_uri=${encodeURIComponent(redirectURI)}&scope=${encodeURIComponent(BENCH_SCOPE.join(' '))}`
  const basic = `Basic ${Buffer.from(`${config.clientID}:${config.clientSecret}`).toString('base64')}`

  app.get('/login', (req, res) => {
    const login = { state: randomBytes(32).toString('base64url'), nonce: randomBytes(32).toString('base64url') }
    ;(req.session as FloorSession).login = login
    res.redirect(`${authorizeBase}&state=${login.state}&nonce=${login.nonce}`)
  })

  app.get('/callback', async (req, res) => {
    const session = req.session as FloorSession
    const login = session.login
    const { code, state } = req.query
    if (!login || typeof code !== 'string' || state !== login.state) return signedIn(undefined, res)
    delete session.login
    const tokenRes = await request(`${config.issuer}/api/v1/oidc/token`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectURI }).toString(),
    })
    const tokens = (await tokenRes.body.json()) as { access_token: string; id_token: string }
    const { payload } = await jwtVerify(tokens.id_token, key, {
      issuer: config.issuer,
      audience: config.clientID,
      algorithms: [alg],
    })
    if (payload.nonce !== login.nonce) return signedIn(undefined, res)
    const infoRes = await request(`${config.issuer}/api/v1/oidc/userinfo`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    const info = (await infoRes.body.json()) as { sub: string }
    if (info.sub !== payload.sub) return signedIn(undefined, res)
    req.session.regenerate(() => {
      const user = { id: info.sub }
      ;(req.session as FloorSession).user = user
      signedIn(user, res)
    })
  })
  return { app, store, close: () => agent.close() }
}
