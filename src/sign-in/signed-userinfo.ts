import { errors, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { FreedomIdError } from '../errors.js'
import type { KeySource } from '../provider/jwks.js'
import { checkAlgorithm, readHeader, verifyWithKeySet, verifyWithSecret } from './id-token.js'

/** Options of {@link verifySignedUserInfo}: the id_token's keys and checks. */
export interface VerifySignedUserInfoOptions {
  /** `iss`, when the response carries one, must equal it exactly. */
  issuer: string
  /** `aud`, when the response carries one, must be it or contain it. */
  clientID: string
  /** The HMAC key of `HS*` responses. */
  clientSecret: string
  /** The `alg` values accepted: the strategy's `idTokenSigningAlgs`. */
  algorithms: string[]
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat` when present. */
  clockTolerance: number
  keys: KeySource
}

const SYMMETRIC = /^HS(256|384|512)$/

/**
 * Verifies a signed userinfo response (`Content-Type: application/jwt`, OpenID Connect Core §5.3.2) with the keys
 * and algorithm allow-list of the id_token: HMAC with the client secret for `HS*`, otherwise the provider's JWKS;
 * `iss` and `aud` are checked when present (the spec says they SHOULD be), `exp`/`nbf` by jose when present.
 *
 * @returns The claims.
 * @throws {@link FreedomIdError} `USERINFO_INVALID` (502) naming the failed check, or `JWKS_UNAVAILABLE`.
 */
export async function verifySignedUserInfo(jwt: string, options: VerifySignedUserInfoOptions): Promise<Record<string, unknown>> {
  let payload: JWTPayload
  try {
    const alg = checkAlgorithm(readHeader(jwt).alg, options.algorithms)
    // jose is held to the one algorithm just allowed, whose family chose the key: the header cannot swap them.
    const verifyOptions: JWTVerifyOptions = { algorithms: [alg], clockTolerance: options.clockTolerance }
    payload = SYMMETRIC.test(alg)
      ? await verifyWithSecret(jwt, options.clientSecret, verifyOptions)
      : await verifyWithKeySet(jwt, options.keys, verifyOptions)
  } catch (err) {
    if (err instanceof FreedomIdError && err.code === 'JWKS_UNAVAILABLE') throw err
    const why =
      err instanceof FreedomIdError
        ? err.message.replace(/id_token/g, 'signed userinfo')
        : err instanceof errors.JWKSNoMatchingKey
          ? 'No key of the provider\'s JSON Web Key Set matches its header.'
          : err instanceof errors.JWTExpired
            ? 'It has expired.'
            : 'Its signature does not verify with the id_token keys.'
    throw invalid(`The signed userinfo response was refused: ${why}`, err)
  }
  if (payload.iss !== undefined && payload.iss !== options.issuer) {
    throw invalid(`The signed userinfo response's "iss" is not "${options.issuer}".`)
  }
  const audiences = payload.aud === undefined ? undefined : Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  if (audiences !== undefined && !audiences.includes(options.clientID)) {
    throw invalid(`The signed userinfo response's "aud" does not include "${options.clientID}".`)
  }
  return payload as Record<string, unknown>
}

function invalid(message: string, cause?: unknown): FreedomIdError {
  return new FreedomIdError('USERINFO_INVALID', message, cause === undefined ? {} : { cause })
}
