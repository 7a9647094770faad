import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose'
import { DEFAULT_ID_TOKEN_ALGS } from '../../src/index.js'
import { HttpClient } from '../../src/provider/http-client.js'
import { verifyIdToken } from '../../src/sign-in/id-token.js'
import { KeySource } from '../../src/provider/jwks.js'
import { median } from '../stats.js'

/** Verifications per second of one algorithm: ours (`verifyIdToken` + `KeySource`) and a bare `jose.jwtVerify`. */
export interface VerifyResult {
  alg: 'RS256' | 'ES256'
  oursPerSecond: number
  josePerSecond: number
  /** ours / jose. */
  ratio: number
  /** JWKS fetches our `KeySource` made over all rounds (1 expected). */
  jwksFetches: number
}

const ISSUER = 'https://issuer.bench.invalid'
const CLIENT_ID = 'bench-client'
const NONCE = 'bench-nonce-0123456789abcdefghijklmnopqrstuvwxyz'

async function serveJWKS(jwks: unknown): Promise<{ server: Server; url: string }> {
  const body = JSON.stringify(jwks)
  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(body))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json` }
}

async function timeLoop(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < iterations; i++) await fn()
  return (iterations * 1000) / (performance.now() - t0)
}

/**
 * Signs one id_token with a fresh key, serves the key as a JWKS on loopback (fetched once by our `KeySource`), and
 * times sequential verifications, ours and bare jose in turn, for `rounds` rounds; returns the medians.
 */
export async function benchVerify(alg: 'RS256' | 'ES256', iterations: number, rounds: number): Promise<VerifyResult> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg, use: 'sig' }
  const now = Math.floor(Date.now() / 1000)
  const token = await new SignJWT({ nonce: NONCE, auth_time: now })
    .setProtectedHeader({ alg, kid: 'bench' })
    .setIssuer(ISSUER)
    .setSubject('8a1f3e7c-2b4d-4e6f-9a0b-1c2d3e4f5a6b')
    .setAudience(CLIENT_ID)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey)

  const { server, url } = await serveJWKS({ keys: [jwk] })
  const http = new HttpClient()
  const keys = new KeySource({ issuer: ISSUER, jwksURI: url, http })
  const ours = () =>
    verifyIdToken(token, {
      issuer: ISSUER,
      clientID: CLIENT_ID,
      clientSecret: 'bench-secret',
      algorithms: [...DEFAULT_ID_TOKEN_ALGS],
      clockTolerance: 30,
      nonce: NONCE,
      keys,
    })
  const bare = () => jwtVerify(token, publicKey as CryptoKey, { issuer: ISSUER, audience: CLIENT_ID, algorithms: [alg] })
  try {
    await timeLoop(Math.ceil(iterations / 4), ours)
    await timeLoop(Math.ceil(iterations / 4), bare)
    const oursRates: number[] = []
    const joseRates: number[] = []
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        oursRates.push(await timeLoop(iterations, ours))
        joseRates.push(await timeLoop(iterations, bare))
      } else {
        joseRates.push(await timeLoop(iterations, bare))
        oursRates.push(await timeLoop(iterations, ours))
      }
    }
    const oursPerSecond = median(oursRates)
    const josePerSecond = median(joseRates)
    return { alg, oursPerSecond, josePerSecond, ratio: oursPerSecond / josePerSecond, jwksFetches: keys.stats.jwks }
  } finally {
    await http.close()
    server.close()
  }
}
