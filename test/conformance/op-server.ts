import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider'

/** The account every sign-in ends as, with the standard claims of OpenID Connect Core §5.1. */
export const ACCOUNT = {
  sub: '41790bb3-62ba-461f-9bed-e232e30ad377',
  given_name: 'Aigerim',
  family_name: 'Bekova',
  middle_name: 'Serikkyzy',
  name: 'Aigerim Bekova',
  email: 'aigerim.bekova@example.kz',
  email_verified: true,
  phone_number: '+77011234567',
  phone_number_verified: false,
  birthdate: '1994-03-12',
  picture: 'https://cdn.example/aigerim.png',
  locale: 'kk-KZ',
}

/** The algorithms the provider signs id_tokens and userinfo with. */
export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA', 'HS256'] as const

/** One private signing key per key type (RSA for RS256/PS256, P-256, Ed25519), each under a fresh `kid`. */
export async function signingKeys(): Promise<JWK[]> {
  const keys: JWK[] = []
  for (const alg of ['RS256', 'ES256', 'Ed25519'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    keys.push({ ...(await exportJWK(privateKey)), kid: `${alg}-${Math.random().toString(36).slice(2, 10)}`, use: 'sig' })
  }
  return keys
}

/** What a test can change between sign-ins. */
export interface OpControls {
  /** End the next interactions with `access_denied`. */
  deny: boolean
}

export interface RunningOp extends OpControls {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string
  issuer: string
  provider: Provider
  /** Replaces the provider with one holding new signing keys (the old ones gone), as a restart with new keys does. */
  rotateKeys(): Promise<void>
  /** Requests by path, for counting discovery and JWKS fetches. */
  hits: Map<string, number>
  close(): Promise<void>
}

/**
 * Starts oidc-provider (OpenID Certified) on 127.0.0.1, port 0, with the given clients; `issuer` is its URL, with a
 * trailing slash when `trailingSlash` is set. Login and consent are this file's own interaction handlers at
 * `/interaction/:uid`, reached over HTTP like any page: the login ends as {@link ACCOUNT}; consent grants what was asked.
 */
export async function startOp(clients: ClientMetadata[], options: { trailingSlash?: boolean } = {}): Promise<RunningOp> {
  const hits = new Map<string, number>()
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const issuer = options.trailingSlash ? `${url}/` : url

  const build = async (): Promise<Provider> => {
    const configuration: Configuration = {
      clients,
      jwks: { keys: await signingKeys() },
      cookies: { keys: ['conformance-cookie-key-0123456789'] },
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ ...ACCOUNT, sub }) }),
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        phone: ['phone_number', 'phone_number_verified'],
        profile: ['given_name', 'family_name', 'middle_name', 'name', 'birthdate', 'picture', 'locale'],
      },
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: true },
        jwtUserinfo: { enabled: true },
      },
      enabledJWA: {
        idTokenSigningAlgValues: [...SIGNING_ALGS],
        userinfoSigningAlgValues: [...SIGNING_ALGS],
      },
      pkce: { required: () => true },
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      renderError: async (ctx, out) => {
        ctx.type = 'json'
        ctx.body = out
      },
    }
    return new Provider(issuer, configuration)
  }

  const op = { url, issuer, hits, deny: false, provider: await build() } as RunningOp
  op.rotateKeys = async () => {
    op.provider = await build()
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!
    hits.set(path, (hits.get(path) ?? 0) + 1)
    if (/^\/interaction\/[^/]+$/.test(path) && req.method === 'GET') {
      interact(op, req, res).catch((err: unknown) => {
        res.statusCode = 500
        res.end(String(err))
      })
      return
    }
    op.provider.callback()(req, res)
  })
  op.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return op
}

/** The login and consent pages: one GET each, answered with the provider's redirect back to the authorization. */
async function interact(op: RunningOp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const provider = op.provider
  const details = await provider.interactionDetails(req, res)
  const { prompt, params } = details
  if (op.deny) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false })
    return
  }
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.sub } }, { mergeWithLastSubmission: false })
    return
  }
  const grant = details.grantId
    ? (await provider.Grant.find(details.grantId))!
    : new provider.Grant({ accountId: details.session!.accountId, clientId: params.client_id as string })
  const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] }
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
  const grantId = await grant.save()
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
}

/**
 * Follows the browser's way from the authorization URL through login and consent, keeping the provider's cookies,
 * until the provider redirects to `callbackURL`; returns that redirect's query.
 */
export async function browse(authorizationURL: string, callbackURL: string): Promise<URLSearchParams> {
  const jar = new Map<string, string>()
  let next = authorizationURL
  for (let hop = 0; hop < 12; hop++) {
    const res = await fetch(next, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const eq = pair!.indexOf('=')
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1))
    }
    const body = await res.text()
    const location = res.headers.get('location')
    if (!location) throw new Error(`the provider answered ${res.status} at ${new URL(next).pathname} without a redirect: ${body.slice(0, 300)}`)
    const target = new URL(location, next)
    if (target.href.startsWith(callbackURL)) return target.searchParams
    next = target.href
  }
  throw new Error('too many redirects before the callback')
}
