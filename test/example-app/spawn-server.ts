import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** `npm start`'s process (`node --import tsx example-app/server.ts`), spawned in its own process group. */
export interface SpawnedServer {
  child: ChildProcess
  /** Everything printed so far, stdout and stderr. */
  output(): string
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>
  /** Sends `signal` to the whole process group, if still running. */
  kill(signal?: NodeJS.Signals): void
}

/**
 * Starts the example server with `env` on top of a clean environment: no inherited `FREEDOM_ID_*`, `REDIS_URL`
 * or jest's `NODE_OPTIONS`.
 */
export function spawnServer(env: Record<string, string>): SpawnedServer {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(FREEDOM_ID_|EMULATOR_|REDIS_URL$|SESSION_SECRET$|PORT$|HOST$|TRUST_PROXY$|LOGIN_STATE$|NODE_OPTIONS$)/.test(key),
    ),
  )
  const child = spawn(process.execPath, ['--import', 'tsx', 'example-app/server.ts'], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  return {
    child,
    output: () => output,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        // already gone
      }
    },
  }
}

/** Waits until the server prints its URLs (`App: …  Emulator: …`); rejects if it exits first or after `ms`. */
export async function printedURLs(server: SpawnedServer, ms = 20_000): Promise<{ app: string; emulator: string }> {
  const pattern = /App: (http:\/\/\S+)\s+Emulator: (http:\/\/\S+)/
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const match = pattern.exec(server.output())
    if (match) return { app: match[1]!, emulator: match[2]! }
    if (server.child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the server printed no URLs:\n${server.output()}`)
}
