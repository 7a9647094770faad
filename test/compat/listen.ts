import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A Node HTTP server on 127.0.0.1 port 0, listening before the app exists (the app needs its own URL). */
export async function listenFirst(): Promise<{ server: Server; url: string; serve(app: RequestListener): void; close(): Promise<void> }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    server,
    url,
    serve: (app) => void server.on('request', app),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
