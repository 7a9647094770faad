import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign as nodeSign,
} from 'node:crypto'
import { CompactSign, type JWK } from 'jose'
import type { EmulatorSigningAlg, IdTokenTamper } from './types.js'

type AsymmetricAlg = Exclude<EmulatorSigningAlg, 'HS256'>

interface SigningKey {
  alg: AsymmetricAlg
  kid: string
  privateKey: KeyObject
  jwk: JWK
  pem: string
}

const encoder = new TextEncoder()

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Applies an override object: each key replaces the original, a value `undefined` deletes it. */
export function mergeOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out = { ...base }
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete out[key]
    else out[key] = value
  }
  return out
}

function generateKeyObjects(alg: AsymmetricAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 })
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    case 'EdDSA':
      return generateKeyPairSync('ed25519')
  }
}

/** RFC 7638 thumbprint, shortened: the key's `kid`. */
function thumbprint(jwk: JWK): string {
  const members = jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x']
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m as keyof JWK]])))
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16)
}

/** The key type each algorithm needs: `rsa`, `ec` on P-256, `ed25519`. */
function fitsAlg(key: KeyObject, alg: AsymmetricAlg): boolean {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return key.asymmetricKeyType === 'rsa'
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519'
  }
}

/** The `signingKey` option as a private `KeyObject` for `alg`; a `TypeError` when it is not one. */
function configuredKey(value: KeyObject | string, alg: EmulatorSigningAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'HS256') throw new TypeError('"signingKey" option needs an asymmetric "idTokenAlg" (HS256 signs with the client secret)')
  let privateKey: KeyObject
  try {
    privateKey = value instanceof KeyObject ? value : createPrivateKey(value)
  } catch {
    throw new TypeError('"signingKey" option must be a private KeyObject or a PKCS#8 PEM string')
  }
  if (privateKey.type !== 'private' || !fitsAlg(privateKey, alg)) {
    throw new TypeError(`"signingKey" option must be a private ${alg === 'ES256' ? 'P-256' : alg === 'EdDSA' ? 'Ed25519' : 'RSA'} key for ${alg}`)
  }
  return { privateKey, publicKey: createPublicKey(privateKey) }
}

function generateSigningKey(alg: AsymmetricAlg, given?: { privateKey: KeyObject; publicKey: KeyObject }): SigningKey {
  const { privateKey, publicKey } = given ?? generateKeyObjects(alg)
  const publicJWK = publicKey.export({ format: 'jwk' }) as JWK
  const kid = thumbprint(publicJWK)
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  return { alg, kid, privateKey, jwk: { ...publicJWK, kid, alg, use: 'sig' }, pem }
}

/** Signs `input` with the real key and algorithm, whatever a tampered header claims. */
function rawSignature(alg: EmulatorSigningAlg, input: string, key: SigningKey, secret: string): Buffer {
  if (alg === 'HS256') return createHmac('sha256', secret).update(input).digest()
  const keyObject = key.privateKey
  const data = Buffer.from(input)
  switch (alg) {
    case 'RS256':
      return nodeSign('sha256', data, keyObject)
    case 'PS256':
      return nodeSign('sha256', data, { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    case 'ES256':
      return nodeSign('sha256', data, { key: keyObject, dsaEncoding: 'ieee-p1363' })
    case 'EdDSA':
      return nodeSign(null, data, keyObject)
  }
}

/**
 * The emulator's signing keys. Asymmetric algorithms sign with a generated key pair published in the JWKS;
 * `HS256` signs with the client's secret and still publishes an RSA key, so that a client that wrongly uses
 * the RSA public key as an HMAC secret can be tested.
 */
export class KeyStore {
  readonly alg: EmulatorSigningAlg
  private current: SigningKey

  /** Creates a key store for `alg` with `signingKey`, or a fresh key. Throws a `TypeError` for a key that does not fit. */
  constructor(alg: EmulatorSigningAlg, signingKey?: KeyObject | string) {
    this.alg = alg
    const given = signingKey === undefined ? undefined : configuredKey(signingKey, alg)
    this.current = generateSigningKey(alg === 'HS256' ? 'RS256' : alg, given)
  }

  /** Replaces the key with a new one under a new `kid`. */
  rotate(): void {
    this.current = generateSigningKey(this.current.alg)
  }

  /** The public JWKS: only the current key. */
  publicJWKS(): { keys: JWK[] } {
    return { keys: [{ ...this.current.jwk }] }
  }

  /** The current public key in SPKI PEM. */
  publicKeyPEM(): string {
    return this.current.pem
  }

  /** Signs an id_token payload, applying a tamper when given. `clientSecret` keys HS256. */
  async sign(payload: Record<string, unknown>, clientSecret: string, tamper?: IdTokenTamper): Promise<string> {
    const key = this.current
    const baseHeader: Record<string, unknown> = { alg: this.alg, typ: 'JWT' }
    if (this.alg !== 'HS256') baseHeader.kid = key.kid
    const claims = mergeOverrides(payload, tamper?.claims)
    const header = mergeOverrides(baseHeader, tamper?.header)
    if (tamper?.sign) return tamper.sign(claims, header)

    const body = encoder.encode(JSON.stringify(claims))
    if (header.alg === 'none') return `${b64url(header)}.${Buffer.from(body).toString('base64url')}.`
    if (header.alg === this.alg) {
      const signingKey = this.alg === 'HS256' ? encoder.encode(clientSecret) : key.privateKey
      return new CompactSign(body).setProtectedHeader(header as { alg: string }).sign(signingKey)
    }
    const input = `${b64url(header)}.${Buffer.from(body).toString('base64url')}`
    return `${input}.${rawSignature(this.alg, input, key, clientSecret).toString('base64url')}`
  }
}
