import { describe, expect, it } from '@jest/globals'
import { FreedomIdStrategy } from '../../src/sign-in/strategy.js'
import type { FreedomIdStrategyOptions } from '../../src/sign-in/options.js'

const base: FreedomIdStrategyOptions = {
  clientID: 'b4b93cc5-3ca5-4ca1-aaaf-5aab2aac7584',
  clientSecret: 'secret',
  callbackURL: 'https://app.example/auth/freedom-id/callback',
}
const verify = () => undefined

function build(overrides: Record<string, unknown>) {
  return () => new FreedomIdStrategy({ ...base, ...overrides } as FreedomIdStrategyOptions, verify)
}

describe('FreedomIdStrategy options', () => {
  it('builds with the three required options and documented defaults', () => {
    const s = new FreedomIdStrategy(base, verify)
    expect(s.name).toBe('freedom-id')
    expect(s._options).toMatchObject({
      protocol: 'oidc',
      issuer: 'https://passport.freedompay.kz',
      authorizationURL: 'https://passport.freedompay.kz/openid',
      tokenURL: 'https://passport.freedompay.kz/api/v1/oidc/token',
      userInfoURL: 'https://passport.freedompay.kz/api/v1/oidc/userinfo',
      jwksURI: undefined,
      scope: ['openid'],
      idTokenSigningAlgs: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256'],
      clockTolerance: 30,
      maxAge: undefined,
      timeout: 10000,
      tokenRequestFormat: 'json',
      clientAuthMethod: 'basic',
      trustedAudiences: [],
      jwksCacheMaxAge: 600,
      pkce: false,
      skipUserProfile: false,
      passReqToCallback: false,
      passParamsToCallback: undefined,
      sessionKey: 'freedom-id',
    })
    expect(typeof s._options.loginState.put).toBe('function')
  })

  it.each([
    ['http://127.0.0.1:4000/', 'http://127.0.0.1:4000'],
    ['http://127.0.0.1:4000', 'http://127.0.0.1:4000'],
    ['https://op.example/tenant/', 'https://op.example/tenant'],
  ])('keeps the issuer %s exactly as given and joins the default URLs with one slash', (issuer, base_) => {
    const s = new FreedomIdStrategy({ ...base, issuer }, verify)
    expect(s._options.issuer).toBe(issuer)
    expect(s._options.authorizationURL).toBe(`${base_}/openid`)
    expect(s._options.tokenURL).toBe(`${base_}/api/v1/oidc/token`)
    expect(s._options.userInfoURL).toBe(`${base_}/api/v1/oidc/userinfo`)
    const oauth2 = new FreedomIdStrategy({ ...base, issuer, protocol: 'oauth2', scope: ['read.email'] }, verify)
    expect(oauth2._options.authorizationURL).toBe(`${base_}/api/v1/oauth/authorize`)
  })

  it('accepts Ed25519, the fully-specified EdDSA name, in idTokenSigningAlgs', () => {
    expect(new FreedomIdStrategy({ ...base, idTokenSigningAlgs: ['Ed25519'] }, verify)._options.idTokenSigningAlgs).toEqual(['Ed25519'])
  })

  it.each([
    ['clientAuthMethod', { clientAuthMethod: 'client_secret_jwt' }],
    ['trustedAudiences', { trustedAudiences: 5 as unknown as string[] }],
    ['trustedAudiences', { trustedAudiences: [''] }],
    ['jwksCacheMaxAge', { jwksCacheMaxAge: -1 }],
  ])('a malformed %s is a TypeError naming it', (name, extra) => {
    expect(() => new FreedomIdStrategy({ ...base, ...(extra as object) }, verify)).toThrow(new RegExp(`"${name}"`))
  })

  it('always sends openid and accepts a space-separated scope', () => {
    const s = new FreedomIdStrategy({ ...base, scope: 'read.email  read.phone read.email' }, verify)
    expect(s._options.scope).toEqual(['openid', 'read.email', 'read.phone'])
  })

  it('accepts a grant added later through extraGrants', () => {
    const s = new FreedomIdStrategy({ ...base, scope: ['read.address'], extraGrants: ['read.address'] }, verify)
    expect(s._options.scope).toEqual(['openid', 'read.address'])
  })

  it('accepts a path callbackURL with origins', () => {
    const s = new FreedomIdStrategy({ ...base, callbackURL: '/cb', origins: 'https://app.example' }, verify)
    expect(s._options.callbackURL).toBe('/cb')
    expect(s._options.origins).toEqual(['https://app.example'])
  })

  it('normalises origins: lower-case host, default port dropped', () => {
    const s = new FreedomIdStrategy({ ...base, origins: ['https://App.Example:443', 'http://localhost:3000'] }, verify)
    expect(s._options.origins).toEqual(['https://app.example', 'http://localhost:3000'])
  })

  it('throws a TypeError without a verify callback', () => {
    expect(() => new FreedomIdStrategy(base, undefined as never)).toThrow(/verify callback/)
  })

  it('throws a TypeError without an options object', () => {
    expect(() => new FreedomIdStrategy(undefined as never, verify)).toThrow(TypeError)
  })

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['clientID missing', { clientID: undefined }, /"clientID" option is required/],
    ['clientID empty', { clientID: ' ' }, /"clientID" option must be a non-empty string/],
    ['clientID a number', { clientID: 42 }, /"clientID"/],
    ['clientSecret missing', { clientSecret: undefined }, /"clientSecret" option is required/],
    ['callbackURL missing', { callbackURL: undefined }, /"callbackURL" option is required/],
    ['callbackURL not a URL', { callbackURL: 'auth/callback' }, /"callbackURL" option must be an absolute/],
    ['callbackURL protocol-relative', { callbackURL: '//evil.example/cb' }, /"callbackURL"/],
    ['callbackURL a path without origins', { callbackURL: '/auth/callback' }, /"callbackURL" option is the path "\/auth\/callback" and no "origins" option is set/],
    ['origins not a URL', { origins: 'app.example' }, /"origins" option must list absolute http\(s\) origins/],
    ['origins empty', { origins: [] }, /"origins" option must be an origin/],
    ['origins with a path', { origins: ['https://app.example/app'] }, /"origins" option must list origins without a path/],
    ['origins with a trailing slash', { origins: 'https://app.example/' }, /"origins" option must list origins without a path/],
    ['origins ftp', { origins: 'ftp://app.example' }, /"origins" option must list absolute http\(s\)/],
    ['origins a host twice', { origins: ['http://app.example', 'https://app.example'] }, /"origins" option names the host "app.example" twice/],
    ['origins with a query', { origins: 'https://app.example?x=1' }, /"origins" option must list origins without a path, query/],
    ['origins with a fragment', { origins: 'https://app.example#top' }, /"origins" option must list origins without a path, query/],
    ['origins with a user name', { origins: 'https://user@app.example' }, /"origins" option must list origins without a path, query/],
    ['origins an object that reads as an origin', { origins: [{ toString: () => 'https://app.example' }] }, /"origins" option must list absolute http\(s\) origins/],
    // Not paths on the app's origin: a protocol-relative URL and a backslash one, which browsers read as another host.
    ['callbackURL protocol-relative, with origins', { callbackURL: '//evil.example/cb', origins: 'https://app.example' }, /"callbackURL" option must be an absolute http\(s\) URL, got "\/\/evil.example\/cb"/],
    ['callbackURL /\\ with origins', { callbackURL: '/\\evil.example/cb', origins: 'https://app.example' }, /"callbackURL" option must be an absolute http\(s\) URL/],
    ['callbackURL ftp', { callbackURL: 'ftp://app.example/cb' }, /"callbackURL" option must be an http\(s\) URL/],
    ['issuer not a URL', { issuer: 'passport.freedompay.kz' }, /"issuer"/],
    ['authorizationURL not a URL', { authorizationURL: 'x' }, /"authorizationURL"/],
    ['tokenURL not a URL', { tokenURL: 'x' }, /"tokenURL"/],
    ['userInfoURL not a URL', { userInfoURL: 7 }, /"userInfoURL"/],
    ['jwksURI not a URL', { jwksURI: 'keys' }, /"jwksURI"/],
    ['revokeURL relative', { revokeURL: '/revoke' }, /"revokeURL"/],
    ['scope with an unknown grant', { scope: ['read.everything'] }, /"scope" option names "read.everything"/],
    ['scope not a string or array', { scope: 5 }, /"scope"/],
    ['scope with an empty entry', { scope: ['read.email', ''] }, /"scope"/],
    ['idTokenSigningAlgs with none', { idTokenSigningAlgs: ['RS256', 'none'] }, /can never allow "none"/],
    ['idTokenSigningAlgs empty', { idTokenSigningAlgs: [] }, /"idTokenSigningAlgs" option must name at least one/],
    ['idTokenSigningAlgs unknown', { idTokenSigningAlgs: ['RS1'] }, /"idTokenSigningAlgs" option names "RS1"/],
    ['clockTolerance negative', { clockTolerance: -1 }, /"clockTolerance"/],
    ['clockTolerance a string', { clockTolerance: '30' }, /"clockTolerance"/],
    ['maxAge NaN', { maxAge: Number.NaN }, /"maxAge"/],
    ['timeout zero', { timeout: 0 }, /"timeout" option must be a positive integer/],
    ['timeout fractional', { timeout: 1.5 }, /"timeout"/],
    ['tokenRequestFormat xml', { tokenRequestFormat: 'xml' }, /"tokenRequestFormat" option must be one of 'json', 'form'/],
    ['protocol saml', { protocol: 'saml' }, /"protocol"/],
    ['pkce a string', { pkce: 'S256' }, /"pkce" option must be a boolean/],
    ['skipUserProfile a string', { skipUserProfile: 'yes' }, /"skipUserProfile"/],
    ['passReqToCallback a number', { passReqToCallback: 1 }, /"passReqToCallback"/],
    ['passParamsToCallback a string', { passParamsToCallback: 'yes' }, /"passParamsToCallback" option must be a boolean/],
    ['sessionKey empty', { sessionKey: '' }, /"sessionKey"/],
    ['loginState without take()', { loginState: { put: async () => {} } }, /"loginState"/],
    ['loginState a string', { loginState: 'cookie' }, /"loginState"/],
    ['stateInRedirectURI a string', { stateInRedirectURI: 'no' }, /"stateInRedirectURI"/],
    ['sessionIndex without bind', { sessionIndex: {} }, /"sessionIndex"/],
    ['extraGrants not a list', { extraGrants: 3 }, /"extraGrants"/],
    ['dispatcher not an object', { dispatcher: 'agent' }, /"dispatcher"/],
    ['OAuth2 flavour without grants', { protocol: 'oauth2', scope: [] }, /"scope" option must name at least one grant/],
  ]
  it.each(invalid)('throws a TypeError naming the option: %s', (_name, overrides, message) => {
    expect(build(overrides)).toThrow(TypeError)
    expect(build(overrides)).toThrow(message)
  })
})
