import type { Request } from 'express'
import passport from 'passport'
import * as client from 'openid-client'
import { Strategy, type AuthenticateOptions } from 'openid-client/passport'
import { BENCH_SCOPE, createShell, mountPassport, type BenchUser } from './shell.js'
import type { BenchApp, BenchAppConfig } from './types.js'

/**
 * openid-client's strategy as shipped. The emulator advertises PKCE, so the strategy would send neither `state` nor
 * `nonce`; Freedom ID requires both, and the documented `authorizationRequestParams()` hook adds them.
 */
class PeerStrategy extends Strategy {
  override authorizationRequestParams<TOptions extends AuthenticateOptions>(
    req: Request,
    options: TOptions,
  ): URLSearchParams | Record<string, string> | undefined {
    const params = new URLSearchParams(super.authorizationRequestParams(req, options))
    params.set('state', client.randomState())
    params.set('nonce', client.randomNonce())
    return params
  }
}

/**
 * The peer: openid-client's passport `Strategy` configured by discovery against the emulator, Basic client
 * authentication, form token requests. `signatureChecks` turns on `enableNonRepudiationChecks` (id_token signature
 * verified against the JWKS). The verify callback fetches userinfo, as ours and the floor do.
 */
export async function createPeerApp(config: BenchAppConfig, signatureChecks: boolean): Promise<BenchApp> {
  const { app, store } = createShell()
  const oidc = await client.discovery(
    new URL(config.issuer),
    config.clientID,
    undefined,
    client.ClientSecretBasic(config.clientSecret),
    { execute: [client.allowInsecureRequests] },
  )
  if (signatureChecks) client.enableNonRepudiationChecks(oidc)
  const pp = new passport.Passport()
  pp.use(
    new PeerStrategy(
      { config: oidc, name: 'peer', scope: BENCH_SCOPE.join(' '), callbackURL: `${config.appURL}/callback` },
      (tokens, done) => {
        const sub = tokens.claims()?.sub
        if (sub === undefined) return done(new Error('no id_token claims'))
        client.fetchUserInfo(oidc, tokens.access_token, sub).then(
          (info) => done(null, { id: info.sub } satisfies BenchUser),
          (err: unknown) => done(err as Error),
        )
      },
    ),
  )
  mountPassport(app, pp, 'peer')
  return { app, store }
}
