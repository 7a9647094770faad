#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DEMO_CLIENT } from './defaults.js'
import { startEmulator } from './server.js'
import type { EmulatorSigningAlg, StartEmulatorOptions } from './types.js'

const USAGE = `Usage: freedom-id-emulator [--port 4000] [--host 127.0.0.1] [--client-id ID --client-secret SECRET]
                           [--auto-login SUB] [--issuer URL] [--issuer-trailing-slash] [--iss-in-callback]
                           [--strict] [--redirect-uri URL ...] [--id-token-alg RS256|PS256|ES256|EdDSA|HS256]
                           [--signing-key PKCS8_PEM_FILE]`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'auto-login': { type: 'string' },
      issuer: { type: 'string' },
      strict: { type: 'boolean', default: false },
      'redirect-uri': { type: 'string', multiple: true },
      'id-token-alg': { type: 'string' },
      'signing-key': { type: 'string' },
      'issuer-trailing-slash': { type: 'boolean' },
      'iss-in-callback': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('--port must be an integer from 0 to 65535')
  if ((values['client-id'] === undefined) !== (values['client-secret'] === undefined)) {
    throw new TypeError('--client-id and --client-secret go together')
  }
  const options: StartEmulatorOptions = { port, host: values.host }
  if (values['client-id'] !== undefined) {
    options.clients = [{ clientID: values['client-id'], clientSecret: values['client-secret']! }]
  }
  if (values['auto-login'] !== undefined) options.autoLogin = values['auto-login']
  if (values.issuer !== undefined) options.issuer = values.issuer
  if (values.strict) options.strict = true
  const redirectURIs = values['redirect-uri']
  if (redirectURIs !== undefined) {
    const client = options.clients?.[0] ?? { clientID: DEMO_CLIENT.clientID, clientSecret: DEMO_CLIENT.clientSecret }
    options.clients = [{ ...client, redirectURIs }]
  }
  if (values['id-token-alg'] !== undefined) options.idTokenAlg = values['id-token-alg'] as EmulatorSigningAlg
  if (values['signing-key'] !== undefined) options.signingKey = readFileSync(values['signing-key'], 'utf8')
  if (values['issuer-trailing-slash']) options.issuerTrailingSlash = true
  if (values['iss-in-callback']) options.authorizationResponseIss = true

  const emulator = await startEmulator(options)
  console.log(`Freedom ID emulator listening on ${emulator.url}`)
  console.log(`  issuer    ${emulator.issuer}`)
  console.log(`  client_id ${options.clients?.[0]?.clientID ?? DEMO_CLIENT.clientID}`)
  if (!options.clients?.[0] || options.clients[0].clientSecret === DEMO_CLIENT.clientSecret) {
    console.log(`  secret    ${DEMO_CLIENT.clientSecret} (the public demo secret)`)
  }
  if (emulator.rules.strict) {
    const alg = options.idTokenAlg ?? 'HS256'
    console.log(`  strict    no discovery, no JWKS, ${alg} id_tokens${alg === 'HS256' ? ' (keyed with the client secret)' : ''}, JSON + Basic only,`)
    console.log('            exact redirect_uri, flavour-bound tokens, errors under HTTP 200 (see the emulator README)')
  }

  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  console.error(USAGE)
  process.exit(1)
})
