import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A plain HTTP server on 127.0.0.1 port 0, for provider faults the emulator does not produce. */
export interface TestServer {
  url: string
  server: Server
  /** Requests received, with their bodies. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>
  /** TCP connections accepted. */
  connections: number
  close(): Promise<void>
}

export async function startServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  const requests: TestServer['requests'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      handler(req, res, body)
    })
  })
  const result = { server, requests, connections: 0 } as TestServer
  server.on('connection', () => (result.connections += 1))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  result.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  result.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return result
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
  const s = await startServer(() => undefined)
  const port = Number(new URL(s.url).port)
  await s.close()
  return port
}

/** Servers for request handlers (Express apps) on 127.0.0.1 port 0; `closeAll()` closes every one opened so far. */
export function appServers(): { listen(handler: RequestListener): Promise<Server>; closeAll(): Promise<void> } {
  const servers: Server[] = []
  return {
    async listen(handler) {
      const server = createServer(handler)
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return server
    },
    async closeAll() {
      await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
    },
  }
}
