/* A real redis-server for the tests and the benchmarks; no jest here, so bench/ can use it too. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A redis-server started for a test suite. */
export interface RedisServer {
  url: string
  port: number
  stop(): Promise<void>
}

const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server'

let available: boolean | undefined

/** True when the `redis-server` binary (or `$REDIS_SERVER_BIN`) runs. */
export function redisAvailable(): boolean {
  available ??= spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0
  return available
}

/**
 * Starts `redis-server` on a free loopback port without persistence, and resolves once it answers PING. `extraArgs`
 * go on its command line (`['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru']`).
 */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'freedom-id-redis-'))
    const child = spawn(
      BINARY,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
    try {
      await waitForPong(port, child)
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: async () => {
          await stopProcess(child)
          rmSync(dir, { recursive: true, force: true })
        },
      }
    } catch (err) {
      await stopProcess(child)
      rmSync(dir, { recursive: true, force: true })
      lastError = new Error(`redis-server did not start on port ${port}: ${(err as Error).message}\n${output}`)
    }
  }
  throw lastError
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the process exited')
    if (await ping(port)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('no PONG within 10 s')
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    let reply = ''
    socket.setTimeout(1000, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => {
      reply += d.toString()
      if (reply.includes('\r\n')) socket.end()
    })
    socket.on('error', () => undefined)
    socket.on('close', () => resolve(reply.startsWith('+PONG')))
  })
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}
