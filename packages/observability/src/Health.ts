/**
 * `Health.report()`: what an operator needs to know per profile — freshness, last success and error,
 * circuit per source, error rate and p50/p95 latency per source over the last hour, fallback ratio,
 * rate-limit headroom, refresh job and dead letter, token status — and an overall status and readiness.
 *
 * Statuses: a profile is `down` when it has no real data to serve (unavailable, or demo numbers standing in);
 * `degraded` when it serves degraded data, a circuit is open/half-open/misconfigured, its job is
 * dead-lettered, its token is invalid/expired/expiring, or at least half of its upstream calls failed over
 * the window; `ok` otherwise. Overall: `down` when a store is unreachable or every profile is down,
 * `degraded` when any profile is not ok, else `ok`. `ready` = stores reachable and scheduler running.
 *
 * Reads state only (snapshots, circuit store, scheduler status, telemetry windows): asking for health never
 * triggers a refresh.
 */
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import {
  activeSources,
  CircuitBreaker,
  CircuitBreakerPolicy,
  freshnessOf,
  isServable,
  ProfileKey,
  ProfileRepository,
  Profiles,
  RateLimitStore,
  RefreshScheduler,
  SecretVault,
  SnapshotStore,
  StoreHealth,
  unavailableFreshness
} from "@guildpulse/core"
import type { FreshnessState, Profile, Snapshot, UpstreamSource } from "@guildpulse/core"
import { DEFAULT_INVALID_REQUEST_WINDOW_MS } from "./Metrics.js"
import { Telemetry } from "./Telemetry.js"
import type { RateLimitObservation, ServedWindow, UpstreamWindow } from "./Telemetry.js"

export type HealthStatus = "ok" | "degraded" | "down"

export interface SourceHealth {
  readonly source: UpstreamSource
  readonly circuit: {
    readonly state: CircuitBreakerPolicy.CircuitStateName
    readonly since: string | null
    /** When the breaker lets a call (or probe) through again. */
    readonly retryAt: string | null
  }
  /** The source's outcome in the latest round. */
  readonly last: { readonly ok: boolean; readonly at: string; readonly error: string | null; readonly durationMs: number | null } | null
  /** Upstream calls of this process over the window (default one hour). */
  readonly window: UpstreamWindow
}

export interface ProfileHealth {
  readonly profile: string
  readonly label: string
  readonly status: HealthStatus
  /** Why the status is not ok (machine-readable codes). */
  readonly reasons: ReadonlyArray<string>
  readonly freshness: {
    readonly state: FreshnessState
    readonly ageSeconds: number | null
    readonly fetchedAt: string | null
    readonly nextRefreshAt: string | null
    readonly reasons: ReadonlyArray<string>
  }
  readonly lastSuccessAt: string | null
  readonly lastError: { readonly reason: string; readonly message: string; readonly at: string } | null
  readonly sources: ReadonlyArray<SourceHealth>
  readonly fallbackRatio: number | null
  readonly served: ServedWindow
  readonly rateLimit: {
    /** Lowest remaining/limit over the buckets seen (1 = untouched, 0 = exhausted); null when unknown. */
    readonly headroom: number | null
    readonly buckets: ReadonlyArray<RateLimitObservation & { readonly at: string }>
  }
  readonly job: {
    readonly scheduled: boolean
    readonly nextRunAt: string | null
    readonly lastRunAt: string | null
    readonly consecutiveFailures: number
    readonly deadLettered: boolean
  }
  readonly token: {
    readonly status: Profile["token"]["status"]
    readonly present: boolean
    readonly expiresAt: string | null
    readonly daysUntilExpiry: number | null
    /** Why an `invalid` token is invalid (Discord's refusal, or its key missing from GUILDPULSE_MASTER_KEYS). */
    readonly problem?: string
  }
}

export interface Check {
  readonly ok: boolean
  readonly latencyMs?: number
  readonly detail?: string
}

export interface Readiness {
  readonly ready: boolean
  readonly checks: Readonly<Record<string, Check>>
}

export interface HealthReport {
  readonly status: HealthStatus
  readonly ready: boolean
  readonly checkedAt: string
  readonly checks: Readonly<Record<string, Check>>
  readonly scheduler: { readonly running: boolean; readonly queueDepth: number; readonly deadLetters: ReadonlyArray<string> }
  readonly invalidRequests: { readonly count: number | null; readonly windowSeconds: number; readonly guardLimit: number }
  readonly profiles: ReadonlyArray<ProfileHealth>
}

export interface ReportOptions {
  /** The profiles the caller may see (an API key limited to some profiles sees nothing of the others). */
  readonly profiles?: "*" | ReadonlySet<string>
}

export class Health extends Context.Tag("@guildpulse/observability/Health")<
  Health,
  {
    readonly report: (options?: ReportOptions) => Effect.Effect<HealthReport>
    /** Stores reachable and scheduler running (for `/readyz`). */
    readonly readiness: Effect.Effect<Readiness>
  }
>() {}

export interface HealthOptions {
  /** Token expiry closer than this reads as degraded (default 7 days). */
  readonly tokenWarningDays?: number
  readonly invalidRequestWindowMs?: number
  /** The invalid-request guard's limit (docs/architecture.md §3: 1,000 per 10 minutes). */
  readonly invalidRequestGuardLimit?: number
  /** Store checks fail after this long (default 2 s). */
  readonly checkTimeoutMs?: number
  /** At least this many calls before an error rate counts against a profile (default 4). */
  readonly minCallsForErrorRate?: number
}

export const DEFAULT_TOKEN_WARNING_DAYS = 7
export const DEFAULT_INVALID_REQUEST_GUARD_LIMIT = 1_000
const DAY_MS = 86_400_000

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())

const circuitTimes = (state: CircuitBreakerPolicy.CircuitState): { since: number | undefined; retryAt: number | undefined } => {
  switch (state._tag) {
    case "Closed":
      return { since: undefined, retryAt: undefined }
    case "Open":
      return { since: state.openedAtMs, retryAt: state.openUntilMs }
    case "HalfOpen":
      return { since: state.probeStartedAtMs, retryAt: undefined }
    case "Throttled":
      return { since: undefined, retryAt: state.untilMs }
    case "Misconfigured":
      return { since: state.sinceMs, retryAt: state.nextProbeAtMs }
  }
}

/** Days until the token expires (negative when expired); null without an expiry. */
export const daysUntil = (expiresAt: string | undefined, nowMs: number): number | null => {
  if (expiresAt === undefined) return null
  const at = Date.parse(expiresAt)
  return Number.isNaN(at) ? null : Math.floor(((at - nowMs) / DAY_MS) * 10) / 10
}

/** The freshness a caller would see now, without triggering anything. */
export const freshnessNow = (profile: Profile, snapshot: Snapshot | undefined, nowMs: number) => {
  const own = snapshot !== undefined && snapshot.guildId === profile.guildId ? snapshot : undefined
  if (own !== undefined && isServable(own, profile, nowMs)) return freshnessOf(own, profile, nowMs)
  const unavailable = unavailableFreshness(own, nowMs)
  // As `Stats.get`: demo numbers only where allowed, and never for a profile whose every source is misconfigured.
  return profile.fallback.demo === "when-empty" && own?.round !== "parked" ? { ...unavailable, state: "demo" as const } : unavailable
}

/** The status of a profile and why (pure). */
export const profileStatus = (input: {
  readonly freshness: FreshnessState
  readonly servingDemoFallback: boolean
  readonly circuits: ReadonlyArray<{ readonly source: string; readonly state: CircuitBreakerPolicy.CircuitStateName }>
  readonly deadLettered: boolean
  readonly tokenStatus: Profile["token"]["status"]
  readonly tokenDays: number | null
  readonly usesToken: boolean
  readonly windows: ReadonlyArray<{ readonly source: string; readonly window: UpstreamWindow }>
  readonly tokenWarningDays: number
  readonly minCallsForErrorRate: number
}): { readonly status: HealthStatus; readonly reasons: ReadonlyArray<string> } => {
  const reasons: Array<string> = []
  let down = false
  if (input.freshness === "unavailable" || input.servingDemoFallback) {
    down = true
    reasons.push(input.freshness === "unavailable" ? "no_data" : "demo_fallback")
  }
  if (input.freshness === "degraded") reasons.push("degraded_data")
  for (const circuit of input.circuits) {
    if (circuit.state === "open" || circuit.state === "half_open" || circuit.state === "misconfigured") {
      reasons.push(`circuit_${circuit.state}:${circuit.source}`)
    }
  }
  if (input.deadLettered) reasons.push("dead_lettered")
  if (input.usesToken) {
    if (input.tokenStatus === "invalid" || input.tokenStatus === "expired" || input.tokenStatus === "expiring") {
      reasons.push(`token_${input.tokenStatus}`)
    } else if (input.tokenDays !== null && input.tokenDays <= input.tokenWarningDays) {
      reasons.push(input.tokenDays < 0 ? "token_expired" : "token_expiring")
    }
  }
  for (const { source, window } of input.windows) {
    if (window.requests >= input.minCallsForErrorRate && window.errorRate !== null && window.errorRate >= 0.5) {
      reasons.push(`error_rate:${source}`)
    }
  }
  return { status: down ? "down" : reasons.length > 0 ? "degraded" : "ok", reasons }
}

/** Read by the readiness probe: any key will do, the answer is not looked at. */
const READINESS_PROBE_KEY = ProfileKey.make("readyz-probe")

const visible = (access: ReportOptions["profiles"], key: string): boolean =>
  access === undefined || access === "*" || access.has(key)

export const make = (options: HealthOptions = {}) =>
  Effect.gen(function* () {
    const profiles = yield* ProfileRepository.ProfileRepository
    const snapshots = yield* SnapshotStore.SnapshotStore
    const vault = yield* SecretVault.SecretVault
    const scheduler = yield* RefreshScheduler.RefreshScheduler
    const storeHealth = yield* StoreHealth.StoreHealth
    const breaker = yield* CircuitBreaker.CircuitBreaker
    const rateLimits = yield* RateLimitStore.RateLimitStore
    const telemetry = yield* Telemetry
    const tokenWarningDays = options.tokenWarningDays ?? DEFAULT_TOKEN_WARNING_DAYS
    const invalidWindowMs = options.invalidRequestWindowMs ?? DEFAULT_INVALID_REQUEST_WINDOW_MS
    const guardLimit = options.invalidRequestGuardLimit ?? DEFAULT_INVALID_REQUEST_GUARD_LIMIT
    const timeout = Duration.millis(options.checkTimeoutMs ?? 2_000)
    const minCalls = options.minCallsForErrorRate ?? 4

    const timed = <A, E>(name: string, effect: Effect.Effect<A, E>): Effect.Effect<Check> =>
      Effect.gen(function* () {
        const start = yield* Clock.currentTimeMillis
        const result = yield* effect.pipe(Effect.timeoutFail({ duration: timeout, onTimeout: () => "timeout" as const }), Effect.either)
        const latencyMs = (yield* Clock.currentTimeMillis) - start
        return result._tag === "Right"
          ? { ok: true, latencyMs }
          : { ok: false, latencyMs, detail: result.left === "timeout" ? `${name} did not answer in time` : `${name} unreachable` }
      })

    const readiness = Effect.gen(function* () {
      const [profileStore, snapshotStore, status, backend] = yield* Effect.all(
        [timed("profile store", profiles.list), timed("snapshot store", snapshots.get(READINESS_PROBE_KEY)), scheduler.status, storeHealth.check],
        { concurrency: "unbounded" }
      )
      const schedulerCheck: Check = status.running ? { ok: true } : { ok: false, detail: "scheduler not running" }
      const storesCheck: Check = backend.ready
        ? { ok: true, detail: backend.store }
        : { ok: false, detail: backend.detail ?? `${backend.store} store not ready` }
      const checks = { stores: storesCheck, profileStore, snapshotStore, scheduler: schedulerCheck }
      return { ready: storesCheck.ok && profileStore.ok && snapshotStore.ok && schedulerCheck.ok, checks }
    })

    const profileHealth = (storedProfile: Profile, now: number, jobs: ReadonlyMap<string, RefreshScheduler.JobStatus>) =>
      Effect.gen(function* () {
        // Token metadata of the token the engine actually uses (the vault's, whatever supplied it).
        const profile = yield* Profiles.withEffectiveToken(storedProfile).pipe(
          Effect.provideService(SecretVault.SecretVault, vault),
          Effect.provideService(SnapshotStore.SnapshotStore, snapshots)
        )
        const stored = yield* Effect.orElseSucceed(snapshots.get(profile.key), () => Option.none<Snapshot>())
        const snapshot = Option.getOrUndefined(stored)
        const freshness = freshnessNow(profile, snapshot, now)
        const own = snapshot !== undefined && snapshot.guildId === profile.guildId ? snapshot : undefined
        const servingDemoFallback = freshness.state === "demo" && (own === undefined || !isServable(own, profile, now))
        const sources = yield* Effect.forEach(activeSources(profile), (source) =>
          Effect.gen(function* () {
            const state = yield* breaker.state(profile.key, source)
            const name = CircuitBreakerPolicy.stateName(state)
            const times = circuitTimes(state)
            const observed = yield* telemetry.circuit(profile.key, source)
            const since = times.since ?? (observed !== undefined && observed.state === name ? observed.sinceMs : undefined)
            const report = own?.sources.find((s) => s.source === source)
            const window = yield* telemetry.upstream(profile.key, source)
            return {
              source,
              circuit: { state: name, since: iso(since), retryAt: iso(times.retryAt) },
              last: report === undefined
                ? null
                : { ok: report.ok, at: new Date(report.atMs).toISOString(), error: report.error ?? null, durationMs: report.durationMs ?? null },
              window
            } satisfies SourceHealth
          })
        )
        const served = yield* telemetry.served(profile.key)
        const observations = yield* telemetry.rateLimits(profile.key)
        const ratios = observations.flatMap((o) => (o.limit !== undefined && o.remaining !== undefined && o.limit > 0 ? [o.remaining / o.limit] : []))
        const job = jobs.get(profile.key)
        const tokenDays = daysUntil(profile.token.expiresAt, now)
        const { status, reasons } = profileStatus({
          freshness: freshness.state,
          servingDemoFallback,
          circuits: sources.map((s) => ({ source: s.source, state: s.circuit.state })),
          deadLettered: job?.deadLettered === true,
          tokenStatus: profile.token.status,
          tokenDays,
          usesToken: profile.sources.bot && profile.token.present,
          windows: sources.map((s) => ({ source: s.source, window: s.window })),
          tokenWarningDays,
          minCallsForErrorRate: minCalls
        })
        return {
          profile: profile.key,
          label: profile.label,
          status,
          reasons,
          freshness: {
            state: freshness.state,
            ageSeconds: freshness.ageSeconds,
            fetchedAt: freshness.fetchedAt,
            nextRefreshAt: freshness.nextRefreshAt,
            reasons: freshness.reasons
          },
          lastSuccessAt: iso(own?.lastSuccessAtMs),
          lastError: own?.lastError === undefined
            ? null
            : { reason: own.lastError.reason, message: own.lastError.message, at: new Date(own.lastError.atMs).toISOString() },
          sources,
          fallbackRatio: served.ratio,
          served,
          rateLimit: {
            headroom: ratios.length === 0 ? null : Math.min(...ratios),
            buckets: observations.map((o) => ({ ...o, at: new Date(o.atMs).toISOString() }))
          },
          job: {
            scheduled: job !== undefined && !job.deadLettered,
            nextRunAt: iso(job?.nextRunAtMs),
            lastRunAt: iso(job?.lastRunAtMs),
            consecutiveFailures: job?.consecutiveFailures ?? 0,
            deadLettered: job?.deadLettered === true
          },
          token: {
            status: profile.token.status,
            present: profile.token.present,
            expiresAt: profile.token.expiresAt ?? null,
            daysUntilExpiry: tokenDays,
            ...(profile.token.status === "invalid" && profile.token.problem !== undefined ? { problem: profile.token.problem } : {})
          }
        } satisfies ProfileHealth
      })

    const report = (reportOptions: ReportOptions = {}) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const ready = yield* readiness
        const all = yield* Effect.orElseSucceed(profiles.list, () => [] as ReadonlyArray<Profile>)
        const mine = all.filter((p) => visible(reportOptions.profiles, p.key))
        const status = yield* scheduler.status
        const jobs = new Map(status.jobs.map((job) => [job.profile, job]))
        const profileReports = yield* Effect.forEach(mine, (profile) => profileHealth(profile, now, jobs), { concurrency: 8 })
        const invalid = yield* Effect.either(rateLimits.invalidCount(invalidWindowMs))
        const overall: HealthStatus = !ready.ready
          ? "down"
          : profileReports.length > 0 && profileReports.every((p) => p.status === "down")
          ? "down"
          : profileReports.some((p) => p.status !== "ok")
          ? "degraded"
          : "ok"
        return {
          status: overall,
          ready: ready.ready,
          checkedAt: new Date(now).toISOString(),
          checks: ready.checks,
          scheduler: {
            running: status.running,
            queueDepth: reportOptions.profiles === undefined || reportOptions.profiles === "*"
              ? status.queueDepth
              : status.jobs.filter((job) => !job.deadLettered && visible(reportOptions.profiles, job.profile)).length,
            deadLetters: status.deadLetters.filter((key) => visible(reportOptions.profiles, key))
          },
          invalidRequests: {
            count: invalid._tag === "Right" ? invalid.right : null,
            windowSeconds: invalidWindowMs / 1000,
            guardLimit
          },
          profiles: profileReports
        } satisfies HealthReport
      }).pipe(Effect.withSpan("Health.report"))

    return Health.of({ report, readiness })
  })

export const layer = (
  options?: HealthOptions
): Layer.Layer<
  Health,
  never,
  | ProfileRepository.ProfileRepository
  | SnapshotStore.SnapshotStore
  | SecretVault.SecretVault
  | RefreshScheduler.RefreshScheduler
  | StoreHealth.StoreHealth
  | CircuitBreaker.CircuitBreaker
  | RateLimitStore.RateLimitStore
  | Telemetry
> => Layer.effect(Health, make(options))
