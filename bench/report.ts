import { fixed, markdownTable, times } from './markdown.js'
import type { BenchResults } from './results.js'
import { PRE_FIX_HEAP_PER_1000, ratio } from './targets.js'

function header(r: BenchResults): string[] {
  const { machine, plan, pinning } = r
  const signIn =
    r.signIn.summary.length === 0
      ? ''
      : `Sign-in: id_tokens signed with ${r.idTokenAlg}; medians of ${plan.signIn.rounds} rounds, in each of which the ` +
        'apps take turns slice by slice (A B C D D C B A); ratios are taken within each round, then the median. ' +
        (pinning
          ? `Each app under test runs alone on core ${pinning.app}; the load generator and the emulators share core ${pinning.rest}.`
          : 'No CPU pinning: the apps, emulators and load generator share every core.')
  return [
    '## Benchmarks',
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}. ` +
      (r.quick ? 'Quick run. ' : '') +
      signIn,
    '',
  ]
}

function signInSection(r: BenchResults): string[] {
  const { summary, runs } = r.signIn
  if (summary.length === 0) return []
  const heap = r.memory.heap
  const sliceSize = (c: number) => Math.ceil((r.plan.signIn.counts[c] ?? 0) / (r.plan.signIn.slices?.[c] ?? 1))
  const counts = Object.entries(r.plan.signIn.counts).map(([c, n]) => `${n} at c${c}`).join(', ')
  const cs = [...new Set(summary.map((s) => s.concurrency))]
  const ratioRows: [string, 'perSecond' | 'cpuPer1000', string][] = [
    ['ours/peer sign-ins/s', 'perSecond', 'peer'],
    ['ours/peer-sig sign-ins/s', 'perSecond', 'peer-sig'],
    ['ours/floor sign-ins/s', 'perSecond', 'floor'],
    ['ours/peer CPU per sign-in', 'cpuPer1000', 'peer'],
    ['ours/peer-sig CPU per sign-in', 'cpuPer1000', 'peer-sig'],
    ['ours/floor CPU per sign-in', 'cpuPer1000', 'floor'],
    ['session store/cookie store CPU per sign-in (ours/ours-cookie)', 'cpuPer1000', 'ours-cookie'],
  ]
  return [
    `### Full sign-in (${counts} per app per round, ${r.plan.signIn.warmUp} warm-up)`,
    '',
    markdownTable(
      ['app', 'concurrency', 'sign-ins/s', 'p50 ms', 'p99 ms', 'app CPU s / 1,000 sign-ins', 'app core busy', 'emulator CPU', 'load generator CPU'],
      summary.map((s) => [
        s.app,
        s.concurrency,
        fixed(s.perSecond, 0),
        fixed(s.p50Ms),
        fixed(s.p99Ms),
        fixed(s.cpuPer1000, 2),
        `${fixed(s.appBusy * 100, 0)} %`,
        fixed(s.emulatorCpuPer1000, 2),
        fixed(s.loadCpuPer1000, 2),
      ]),
    ),
    '',
    markdownTable(
      ['ratio', ...cs.map((c) => `c${c}`)],
      ratioRows.map(([label, field, other]) => [label, ...cs.map((c) => times(ratio(runs, field, other, c)))]),
    ),
    '',
    '### Provider traffic',
    '',
    markdownTable(
      ['app', 'sign-ins (process life)', 'discovery fetches', 'JWKS fetches', ...cs.map((c) => `connections per slice c${c} (${sliceSize(c)} sign-ins)`)],
      r.provider.map((p) => [
        p.app,
        p.token,
        p.discovery,
        p.jwks,
        ...cs.map((c) => fixed(summary.find((x) => x.app === p.app && x.concurrency === c)?.providerConnectionsPerSlice ?? Number.NaN, 0)),
      ]),
    ),
    '',
    "Fetches are counted over each app process's whole life, warm-up included. Connections are the app's own to the " +
      "provider (the emulator's count minus the load generator's), the most that one slice of continuous load opened; " +
      'the emulator closes connections idle for 5 s, so a slice after other apps\' turns reconnects.' +
      (heap
        ? ` Back to back, ${heap.signIns.toLocaleString('en')} sign-ins of ${heap.app} at c${heap.concurrency} opened ` +
          `${heap.providerConnections} connections (${fixed((heap.providerConnections * 1000) / heap.signIns, 1)} per 1,000 sign-ins).`
        : ''),
    '',
    ...r.provider
      .filter((p) => p.jwks > 1)
      .flatMap((p) => {
        const measured = runs.filter((x) => x.app === p.app).reduce((n, x) => n + x.jwks, 0)
        return [
          `${p.app}: ${p.jwks} JWKS fetches, ${measured} of them in measured runs; the others came in the warm-up, ` +
            `whose first ${Math.max(...cs)} sign-ins arrive together.`,
          '',
        ]
      }),
  ]
}

function verifySection(r: BenchResults): string[] {
  if (r.verify.length === 0) return []
  return [
    `### id_token verification alone (${r.plan.verify.iterations} sequential verifications per round)`,
    '',
    markdownTable(
      ['alg', 'ours (verifyIdToken + KeySource) /s', 'bare jose.jwtVerify /s', 'ours/jose', 'JWKS fetches'],
      r.verify.map((v) => [v.alg, fixed(v.oursPerSecond, 0), fixed(v.josePerSecond, 0), times(v.ratio), v.jwksFetches]),
    ),
    '',
  ]
}

function memorySection(r: BenchResults): string[] {
  const { pending, heap } = r.memory
  if (!heap && pending.length === 0) return []
  const out = ['### Memory', '']
  if (pending.length > 0) {
    out.push(
      markdownTable(
        ['app', 'pending logins', 'heap per pending login (bytes)', 'session JSON per pending login (bytes)'],
        pending.map((p) => [p.app, p.count, fixed(p.heapBytesPerLogin, 0), fixed(p.sessionJsonBytesPerLogin, 0)]),
      ),
      '',
    )
  }
  if (heap) {
    out.push(
      markdownTable(
        ['app', 'sign-ins', 'heap before (MB)', 'heap after each fifth (MB)', 'growth', 'timers before → after'],
        [
          [
            heap.app,
            heap.signIns,
            fixed(heap.startHeapBytes / 1e6, 1),
            heap.checkpoints.map((c) => fixed(c.heapBytes / 1e6, 1)).join(', '),
            `${fixed(heap.growthPercent, 1)} %`,
            `${heap.timersBefore} → ${heap.timersAfter}`,
          ],
        ],
      ),
      '',
    )
  }
  return out
}

function revokeSection(r: BenchResults): string[] {
  if (r.revoke.length === 0 && !r.redisSkipped) return []
  const sizes = r.plan.revoke.sizes
  const size = (n: number) => n.toLocaleString('en')
  const what = { index: 'revoke() alone', route: 'POST revoke_uri (router + MemoryStore)', control: 'control: one Map.delete' }
  return [
    `### Revoke (${r.plan.revoke.revokes} revokes per round, p50 µs)`,
    '',
    markdownTable(
      ['index', 'what is timed', ...sizes.map((s) => `${size(s)} sessions`), `${size(sizes.at(-1)!)} / ${size(sizes[0]!)}`],
      r.revoke.map((c) => [
        c.store,
        what[c.level],
        ...c.results.map((x) => fixed(x.p50Micros, x.p50Micros < 10 ? 2 : 0)),
        times(c.ratio),
      ]),
    ),
    '',
    ...(r.redisSkipped ? ['Redis: skipped, `redis-server` is not installed.', ''] : []),
  ]
}

function soakSection(r: BenchResults): string[] {
  const { results, redisSkipped } = r.soak
  if (results.length === 0 && !redisSkipped) return []
  const p = r.plan.soak
  const n = (v: number | undefined) => (v === undefined ? '–' : String(v))
  const signed = (v: number) => `${v < 0 ? '−' : '+'}${Math.abs(Math.round(v)).toLocaleString('en')}`
  const label = { none: 'none (control)', memory: 'MemorySessionIndex', redis: 'RedisSessionIndex' }
  return [
    `### Soak (${p.signIns.toLocaleString('en')} sign-ins by ${p.browsers} returning browsers, after ${p.warmUp.toLocaleString('en')} warm-up)`,
    '',
    markdownTable(
      [
        'session index',
        'live sessions',
        'bindings',
        'owners',
        'revoked',
        'Redis keys',
        'entries / live sessions',
        'heap first → last (MB)',
        'heap slope ± std. error (B / 1,000 sign-ins)',
        'slope / pre-fix',
        'timers',
      ],
      results.map((s) => [
        label[s.index],
        s.liveSessions,
        n(s.entries?.bindings),
        n(s.entries?.owners),
        n(s.entries?.revoked),
        n(s.entries?.keys),
        s.entries ? times(s.entries.bindings / s.liveSessions) : '–',
        `${fixed(s.checkpoints[0]!.heapBytes / 1e6, 2)} → ${fixed(s.checkpoints.at(-1)!.heapBytes / 1e6, 2)}`,
        `${signed(s.heapSlopePer1000)} ± ${Math.round(s.heapSlopeErrorPer1000).toLocaleString('en')}`,
        `${fixed((s.heapSlopePer1000 / PRE_FIX_HEAP_PER_1000) * 100, 2)} %`,
        `${s.timersBefore} → ${s.timersAfter}`,
      ]),
    ),
    '',
    `Each browser keeps its cookie jar, so each new login replaces its session. The heap is settled (two full ` +
      `collections) every ${p.checkpointEvery.toLocaleString('en')} sign-ins; the slope is the least-squares fit over ` +
      `those ${Math.ceil(p.signIns / p.checkpointEvery) + 1} checkpoints, with its standard error. Target: entries = live sessions (1.00×; Redis: ` +
      `two keys per live session) and a slope of about zero; before the fix the index kept one binding per sign-in and ` +
      `the heap grew ${PRE_FIX_HEAP_PER_1000.toLocaleString('en')} B per 1,000 sign-ins (slope / pre-fix is the share ` +
      'of that). The control is the same app without a session index.',
    '',
    ...(redisSkipped ? ['Redis soak: skipped, `redis-server` is not installed.', ''] : []),
  ]
}

function profileSection(r: BenchResults): string[] {
  if (!r.profile) return []
  const share = (s: number) => `${fixed(s * 100, 1)} %`
  const { app, summary } = r.profile
  return [
    `### CPU profile of ${app} (self time)`,
    '',
    markdownTable(['package', 'ms', 'share'], summary.byPackage.slice(0, 15).map((p) => [p.name, fixed(p.ms, 0), share(p.share)])),
    '',
    markdownTable(
      ['our function (with callees)', 'ms', 'share'],
      summary.oursInclusive.slice(0, 12).map((p) => [p.name, fixed(p.ms, 0), share(p.share)]),
    ),
    '',
  ]
}

function targetsSection(r: BenchResults): string[] {
  if (r.targets.length === 0) return []
  return [
    '### Targets',
    '',
    markdownTable(['target', 'measured', 'met', 'note'], r.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO', t.note ?? ''])),
    '',
  ]
}

/** The run as Markdown: machine, sign-in table and ratios, provider traffic, verification, memory, revoke, soak, targets. */
export function renderReport(r: BenchResults): string {
  return [
    ...header(r),
    ...signInSection(r),
    ...verifySection(r),
    ...memorySection(r),
    ...revokeSection(r),
    ...soakSection(r),
    ...profileSection(r),
    ...targetsSection(r),
  ].join('\n')
}
