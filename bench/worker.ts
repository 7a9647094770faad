/**
 * The child side of a bench worker: answers the parent's `{ id, type, payload }` messages over IPC with
 * `{ id, ok, value | error }`, and exits when the parent goes away.
 */
/** The messages a worker answers, by type; a handler may return a promise. */
export type Handlers = Record<string, (payload: unknown) => unknown>

/** Tells the parent the worker is ready (with `info`, e.g. its URL) and serves `handlers` until `exit`. */
export function serveWorker(info: Record<string, unknown>, handlers: Handlers): void {
  const send = process.send?.bind(process)
  if (!send) throw new Error('a bench worker must be started by bench/run.ts (no IPC channel)')
  process.on('disconnect', () => process.exit(0))
  process.on('message', (message: { id: number; type: string; payload?: unknown }) => {
    if (message.type === 'exit') {
      send({ id: message.id, ok: true }, () => process.exit(0))
      return
    }
    const handler = handlers[message.type]
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown message "${message.type}"`)
        return handler(message.payload)
      })
      .then(
        (value) => send({ id: message.id, ok: true, value }),
        (err: unknown) => send({ id: message.id, ok: false, error: String((err as Error)?.stack ?? err) }),
      )
  })
  send({ id: 0, ok: true, value: info })
}

/** CPU time of this process so far, in microseconds (user + system). */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** Heap in use after two full collections (needs `--expose-gc`), and how many timers are active. */
export function settledHeap(): { heapUsed: number; timers: number; handles: number } {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('start the worker with --expose-gc')
  gc()
  gc()
  const resources = process.getActiveResourcesInfo()
  return {
    heapUsed: process.memoryUsage().heapUsed,
    timers: resources.filter((r) => r === 'Timeout').length,
    handles: resources.length,
  }
}
