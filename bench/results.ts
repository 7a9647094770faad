import type { ColdStartResult } from './scenarios/cold-start.js'
import type { ProfileSummary } from './cpu-profile.js'
import type { Pinning } from './cpu-affinity.js'
import type { HeapGrowthResult, PendingLoginResult } from './scenarios/memory.js'
import type { RevokeComparison, RevokePlan } from './scenarios/revoke.js'
import type { SoakPlan, SoakResult } from './scenarios/soak.js'
import type { AppName, ProviderTotals } from './scenarios/apps-under-test.js'
import type { SignInPlan, SignInRun, SignInSummary } from './scenarios/sign-in.js'
import type { VerifyResult } from './scenarios/verify.js'
import type { TargetCheck } from './targets.js'

/** The machine a run was measured on. */
export interface Machine {
  cores: number
  cpu: string
  node: string
  os: string
  memoryGiB: number
}

/** What a run measures, and how much. */
export interface BenchPlan {
  signIn: SignInPlan
  heapSignIns: number
  pendingLogins: number
  verify: { iterations: number; rounds: number }
  revoke: RevokePlan
  soak: SoakPlan
}

/** One app process's provider traffic over its life. */
export interface ProviderRow extends ProviderTotals {
  app: AppName
  /** App→provider TCP connections over all runs, warm-up included. */
  providerConnections: number
}

/** Everything a run measured: `bench/results.json`. */
export interface BenchResults {
  generatedAt: string
  machine: Machine
  pinning: Pinning | null
  idTokenAlg: 'RS256' | 'ES256'
  quick: boolean
  plan: BenchPlan
  signIn: { summary: SignInSummary[]; runs: SignInRun[] }
  provider: ProviderRow[]
  verify: VerifyResult[]
  memory: { pending: PendingLoginResult[]; heap: HeapGrowthResult | undefined }
  revoke: RevokeComparison[]
  redisSkipped: boolean
  /** Sign-ins by returning browsers with a session index: its entries and the heap slope (`--only=soak`). */
  soak: { results: SoakResult[]; redisSkipped: boolean }
  profile: { app: AppName; summary: ProfileSummary } | undefined
  targets: TargetCheck[]
  /** Import cost of the main entry against its dependencies alone (`--only=cold-start`). */
  coldStart?: ColdStartResult | undefined
}
