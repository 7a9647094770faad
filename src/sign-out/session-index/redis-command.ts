/** A node-redis v5 client (`createClient()` from `redis`, or a client pool): anything with `sendCommand(args)`. */
export interface NodeRedisClientLike {
  sendCommand(args: string[]): Promise<unknown>
}

/** An `ioredis` instance (`new Redis()`): anything with `call(command, ...args)`. */
export interface IORedisClientLike {
  call(command: string, ...args: string[]): Promise<unknown>
}

/** The Redis clients {@link RedisSessionIndex} accepts. */
export type RedisClientLike = NodeRedisClientLike | IORedisClientLike

/** Sends one command (`['EVAL', script, …]`) and resolves with its reply. */
export type RedisCommand = (args: [string, ...string[]]) => Promise<unknown>

/**
 * Adapts a node-redis v5 client or an ioredis instance, told apart by shape (ioredis has `call`, node-redis only
 * `sendCommand`). Cluster clients are refused: the index's scripts touch keys of different hash slots.
 */
export function toRedisCommand(client: unknown): RedisCommand {
  if (typeof client !== 'object' || client === null) throw clientError()
  const c = client as Record<string, unknown>
  if (c.isCluster === true || '_slots' in c) {
    throw new TypeError('"client" option must be a single Redis client: Redis Cluster is not supported')
  }
  if (typeof c.call === 'function') {
    const io = client as IORedisClientLike
    return ([command, ...args]) => io.call(command, ...args)
  }
  if (typeof c.sendCommand === 'function') {
    const nr = client as NodeRedisClientLike
    return (args) => nr.sendCommand(args)
  }
  throw clientError()
}

function clientError(): TypeError {
  return new TypeError(
    '"client" option must be a node-redis v5 client (createClient from "redis") or an ioredis instance',
  )
}

/** A reply string: node-redis and ioredis return strings, or Buffers when asked to. */
export function replyString(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value)
}

/**
 * `call`, or a rejection with `onTimeout()` once `ms` have passed (`0`: no deadline). A client that queues commands
 * while disconnected (node-redis's and ioredis's offline queue, on by default) would otherwise hold each call for
 * the whole outage. The timer never keeps the process alive. A call that fails after its deadline is not an unhandled
 * rejection: the race has already subscribed to it.
 */
export function withDeadline<T>(call: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (ms === 0) return call
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
    timer.unref?.()
  })
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer))
}
