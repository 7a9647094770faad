/**
 * The security-critical modules `npm run mutate` checks, each against its own test files only, so that one run of
 * a module stays within minutes. `mutate` and `tests` are globs relative to the repository root; a glob that matches
 * nothing yet (a file another change will add) is harmless.
 */
export const MODULES = {
  'id-token': {
    mutate: ['src/sign-in/id-token.ts'],
    // jwks.test.ts verifies through verifyIdToken: several kid-less keys, JWKS faults.
    tests: ['test/sign-in/id-token*.test.ts', 'test/provider/jwks*.test.ts'],
  },
  jwks: {
    mutate: ['src/provider/jwks.ts'],
    tests: ['test/provider/jwks*.test.ts'],
  },
  'login-state': {
    mutate: ['src/sign-in/login-state/record.ts', 'src/sign-in/login-state/session-store.ts'],
    tests: ['test/sign-in/login-state/session-store*.test.ts'],
  },
  'cookie-state': {
    mutate: ['src/sign-in/login-state/cookie-store.ts'],
    tests: ['test/sign-in/login-state/cookie-store*.test.ts'],
  },
  'revoke-request': {
    mutate: ['src/sign-out/revoke-request.ts'],
    tests: ['test/sign-out/revoke-request*.test.ts', 'test/sign-out/revoke-router*.test.ts'],
  },
  'revoke-router': {
    mutate: ['src/sign-out/revoke-router.ts'],
    tests: ['test/sign-out/revoke-router*.test.ts', 'test/sign-out/revoke-request*.test.ts', 'test/sign-out/on-revoke*.test.ts'],
  },
  'source-filter': {
    mutate: ['src/sign-out/source-filter.ts'],
    tests: ['test/sign-out/source-filter*.test.ts', 'test/sign-out/revoke-router*.test.ts'],
  },
  'rate-limit': {
    mutate: ['src/sign-out/rate-limit.ts'],
    tests: ['test/sign-out/rate-limit*.test.ts', 'test/sign-out/revoke-router*.test.ts'],
  },
  'callback-issuer': {
    mutate: ['src/sign-in/callback-issuer.ts'],
    tests: ['test/sign-in/strategy-issuer.test.ts'],
  },
  'callback-url': {
    mutate: ['src/sign-in/callback-url.ts'],
    tests: ['test/sign-in/callback-url.test.ts', 'test/sign-in/strategy-start.test.ts', 'test/sign-in/oauth2-start.test.ts', 'test/sign-in/options.test.ts'],
  },
  'signed-userinfo': {
    mutate: ['src/sign-in/signed-userinfo.ts'],
    tests: ['test/sign-in/signed-userinfo.test.ts'],
  },
  'shared-refresh': {
    mutate: ['src/api/shared-refresh.ts'],
    tests: ['test/api/shared-refresh.test.ts'],
  },
  'revoke-guard': {
    mutate: ['src/sign-out/revoke-guard.ts'],
    tests: ['test/sign-out/revoke-guard*.test.ts', 'test/sign-out/session-lifecycle.test.ts'],
  },
  'session-index': {
    mutate: ['src/sign-out/session-index/*.ts'],
    tests: ['test/sign-out/session-index/*.test.ts'],
  },
}
