import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A bench worker process and its request/response channel. */
export interface Worker {
  /** What the worker announced when ready (its URL …). */
  info: Record<string, unknown>
  pid: number
  /** Sends a message and resolves with the worker's answer. */
  call<T = unknown>(type: string, payload?: unknown): Promise<T>
  /** Asks the worker to exit (so `--cpu-prof` writes its profile) and waits for it. */
  stop(): Promise<void>
}

type Reply = { id: number; ok: boolean; value?: unknown; error?: string }

/**
 * Starts `bench/<script>` in its own Node process through tsx, with extra Node flags, and waits for it to be ready.
 */
export function startWorker(script: string, args: string[] = [], nodeFlags: string[] = []): Promise<Worker> {
  const path = fileURLToPath(new URL(script, import.meta.url))
  const child = fork(path, args, {
    execArgv: ['--import', 'tsx', ...nodeFlags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 1
  return new Promise((resolveReady, rejectReady) => {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.once('exit', (code, signal) => {
      const err = new Error(`worker ${script} exited (${code ?? signal})`)
      rejectReady(err)
      for (const p of pending.values()) p.reject(err)
      pending.clear()
    })
    child.on('message', (reply: Reply) => {
      if (reply.id === 0) {
        resolveReady({
          info: reply.value as Record<string, unknown>,
          pid: child.pid ?? -1,
          call<T>(type: string, payload?: unknown): Promise<T> {
            const id = nextId++
            return new Promise<T>((resolve, reject) => {
              pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
              child.send({ id, type, payload })
            })
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return
            const id = nextId++
            child.send({ id, type: 'exit' })
            await exited
          },
        })
        return
      }
      const p = pending.get(reply.id)
      if (!p) return
      pending.delete(reply.id)
      if (reply.ok) p.resolve(reply.value)
      else p.reject(new Error(`worker ${script}: ${reply.error}`))
    })
  })
}
