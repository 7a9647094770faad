import { spawnSync } from 'node:child_process'
import { cpus } from 'node:os'

/** Which cores the processes of a run may use (Linux `taskset`). */
export interface Pinning {
  /** Cores of each app under test. */
  app: string
  /** Cores of the load generator, the emulators and everything else this script starts. */
  rest: string
}

/**
 * On a machine with at least 2 cores and `taskset`, the app under test gets the last core to itself and the load
 * generator and emulators share the others, as they would live on other machines in production; the throughput
 * then measures the app rather than the emulator's RSA signing. Returns `undefined` when pinning is not possible.
 */
export function planPinning(): Pinning | undefined {
  const n = cpus().length
  if (n < 2 || spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined
  return { app: String(n - 1), rest: n === 2 ? '0' : `0-${n - 2}` }
}

/** Sets the CPU affinity of every thread of a process; throws when `taskset` fails. */
export function pin(pid: number, cores: string): void {
  const res = spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' })
  if (res.status !== 0) throw new Error(`taskset could not pin process ${pid} to cores ${cores}`)
}

/** Lets a process use every core again. */
export function unpin(pid: number): void {
  pin(pid, `0-${cpus().length - 1}`)
}
