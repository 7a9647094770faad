import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  parent?: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Where self time went, by package (or our own file) and by function. */
export interface ProfileSummary {
  totalMs: number
  byPackage: { name: string; ms: number; share: number }[]
  byFunction: { name: string; ms: number; share: number }[]
  /** Time under each outermost frame of our `src/` on the stack, callees (jose, undici, node) included. */
  oursInclusive: { name: string; ms: number; share: number }[]
}

function packageOf(url: string): string {
  if (url === '') return '(native / GC / idle)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:')) return url.slice(5).replace(/^internal\//, 'node:')
  const src = url.indexOf('/src/')
  if (src >= 0) return `ours: ${url.slice(src + 1)}`
  const bench = url.indexOf('/bench/')
  if (bench >= 0) return `bench: ${url.slice(bench + 1)}`
  return url
}

/** Summarizes a `.cpuprofile` written by `node --cpu-prof`: self time per package and per function. */
export function summarizeProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  for (const n of profile.nodes) for (const c of n.children ?? []) nodes.get(c)!.parent = n.id
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, number>()
  const oursInclusive = new Map<string, number>()
  let total = 0
  for (const [id, micros] of self) {
    const frame = nodes.get(id)!.callFrame
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue
    total += micros
    const pkg = frame.functionName === '(garbage collector)' ? '(garbage collector)' : packageOf(frame.url)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros)
    const fn = `${frame.functionName || '(anonymous)'} ${packageOf(frame.url)}:${frame.lineNumber + 1}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros)
    let outermost: string | undefined
    for (let n: ProfileNode | undefined = nodes.get(id); n; n = n.parent === undefined ? undefined : nodes.get(n.parent)) {
      if (packageOf(n.callFrame.url).startsWith('ours: ')) {
        outermost = `${n.callFrame.functionName || '(anonymous)'} ${packageOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
      }
    }
    if (outermost !== undefined) oursInclusive.set(outermost, (oursInclusive.get(outermost) ?? 0) + micros)
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }))
  return {
    totalMs: total / 1000,
    byPackage: list(byPackage),
    byFunction: list(byFunction),
    oursInclusive: list(oursInclusive),
  }
}

/** The main thread's profile in a `--cpu-prof-dir` (file names end in `.<pid>.<thread>.<seq>.cpuprofile`). */
export function mainThreadProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
  const newest = files.sort().at(-1)
  return newest === undefined ? undefined : join(dir, newest)
}
