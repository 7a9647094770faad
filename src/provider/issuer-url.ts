/**
 * An endpoint URL under an issuer: `path` (starting with `/`) appended to the issuer with exactly one `/` between
 * them, whether or not the issuer ends with one. `https://op.example/` and `https://op.example` both give
 * `https://op.example/openid` for `/openid`. The issuer itself is never changed: `iss` is compared with it as is.
 */
export function issuerURL(issuer: string, path: string): string {
  return `${issuer.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`
}

/** `${issuer}/.well-known/openid-configuration`, the issuer's trailing `/` removed first (OpenID Connect Discovery 1.0 §4). */
export function discoveryURL(issuer: string): string {
  return issuerURL(issuer, '/.well-known/openid-configuration')
}
