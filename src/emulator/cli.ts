#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { DEMO_CLIENT } from './defaults.js'
import { startEmulator } from './server.js'
import type { StartEmulatorOptions } from './types.js'

const USAGE = `Usage: freedom-id-emulator [--port 4000] [--host 127.0.0.1] [--client-id ID --client-secret SECRET]
                           [--auto-login SUB] [--issuer URL]`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'auto-login': { type: 'string' },
      issuer: { type: 'string' },
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

  const emulator = await startEmulator(options)
  console.log(`Freedom ID emulator listening on ${emulator.url}`)
  console.log(`  issuer    ${emulator.issuer}`)
  console.log(`  client_id ${options.clients?.[0]?.clientID ?? DEMO_CLIENT.clientID}`)
  if (!options.clients) console.log(`  secret    ${DEMO_CLIENT.clientSecret} (the public demo secret)`)

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
