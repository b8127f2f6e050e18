/**
 * The `guildpulse_*` metric families of docs/architecture.md §7 as Effect `Metric`s. Core records its own families
 * (`CoreMetrics`), the Discord connector its rate-limit families (`ratelimit_remaining{bucket}`,
 * `ratelimit_hits_total{scope}`, `invalid_requests_window`, …); this module defines the rest and `sample`,
 * which sets the gauges that derive from state at scrape time (snapshot age, circuit state, queue depth,
 * dead letters, refresh lag). Every Effect metric of the process is exported by `Prometheus`.
 *
 * Base units (seconds, counts), `_total` counters, bounded labels: `profile` (operator-configured),
 * `source` (widget|bot|invite), `state`/`outcome`/`status_class`/`result` (closed sets), `bucket` (Discord
 * rate-limit buckets, capped at 50 distinct values then `other`), `scope` (user|global|shared|unknown),
 * `channel` (configured notifier channels), `rule` (the alert rules, `digest`, `test`).
 */
import { Clock, Effect, Metric, Option } from "effect"
import {
  activeSources,
  CircuitBreaker,
  CircuitBreakerPolicy,
  CoreMetrics,
  headlineFetchedAtMs,
  ProfileRepository,
  RefreshScheduler,
  SnapshotStore
} from "@guildpulse/core"

export const snapshotAge = Metric.gauge("guildpulse_snapshot_age_seconds", {
  description: "Age of the oldest headline field of the profile's snapshot, in seconds (set at scrape time)"
})

export const refreshLag = Metric.gauge("guildpulse_refresh_lag_seconds", {
  description: "How far the most overdue refresh job is behind its planned time, in seconds (0 when on time)"
})

export const queueDepth = Metric.gauge("guildpulse_queue_depth", {
  description: "Refresh jobs scheduled and not dead-lettered"
})

export const deadLetters = Metric.gauge("guildpulse_dead_letters", {
  description: "Refresh jobs parked in the dead-letter list"
})

export const alertsSent = Metric.counter("guildpulse_alerts_sent_total", {
  description: "Alert, recovery, digest and test deliveries by channel, rule and outcome (sent|failed)",
  incremental: true
})

export type FamilyType = "counter" | "gauge" | "histogram"

export interface Family {
  readonly name: string
  readonly type: FamilyType
  readonly labels: ReadonlyArray<string>
  readonly recordedBy: "core" | "observability" | "connector"
  readonly help: string
}

/** Every family this package exports, for documentation and tests. */
export const families: ReadonlyArray<Family> = [
  { name: "guildpulse_upstream_requests_total", type: "counter", labels: ["source", "outcome", "status_class"], recordedBy: "core", help: "Upstream calls" },
  { name: "guildpulse_upstream_request_duration_seconds", type: "histogram", labels: ["source"], recordedBy: "core", help: "Upstream call duration" },
  { name: "guildpulse_stats_served_total", type: "counter", labels: ["state"], recordedBy: "core", help: "Views served by freshness state" },
  { name: "guildpulse_cache_lookups_total", type: "counter", labels: ["result"], recordedBy: "core", help: "Cache lookups (hit, stale, miss)" },
  { name: "guildpulse_circuit_state", type: "gauge", labels: ["profile", "source"], recordedBy: "core", help: "0 closed, 1 open, 2 half-open, 3 throttled, 4 misconfigured" },
  { name: "guildpulse_refresh_jobs_total", type: "counter", labels: ["outcome"], recordedBy: "core", help: "Refresh rounds (ok, partial, failed)" },
  { name: "guildpulse_guild_online", type: "gauge", labels: ["profile"], recordedBy: "core", help: "Online count" },
  { name: "guildpulse_guild_members", type: "gauge", labels: ["profile"], recordedBy: "core", help: "Member count" },
  { name: "guildpulse_snapshot_age_seconds", type: "gauge", labels: ["profile"], recordedBy: "observability", help: "Snapshot headline age" },
  { name: "guildpulse_refresh_lag_seconds", type: "gauge", labels: [], recordedBy: "observability", help: "Most overdue refresh job" },
  { name: "guildpulse_queue_depth", type: "gauge", labels: [], recordedBy: "observability", help: "Scheduled refresh jobs" },
  { name: "guildpulse_dead_letters", type: "gauge", labels: [], recordedBy: "observability", help: "Dead-lettered refresh jobs" },
  { name: "guildpulse_ratelimit_remaining", type: "gauge", labels: ["bucket"], recordedBy: "connector", help: "Remaining in a Discord rate-limit bucket" },
  { name: "guildpulse_ratelimit_hits_total", type: "counter", labels: ["scope"], recordedBy: "connector", help: "429s by scope (user, global, shared; guard)" },
  { name: "guildpulse_invalid_requests_window", type: "gauge", labels: [], recordedBy: "connector", help: "Invalid-request guard count over its window" },
  { name: "guildpulse_ratelimit_waits_total", type: "counter", labels: ["reason"], recordedBy: "connector", help: "Pre-emptive waits before sending" },
  { name: "guildpulse_ratelimit_wait_seconds", type: "histogram", labels: [], recordedBy: "connector", help: "Time spent waiting for a bucket / the global budget" },
  { name: "guildpulse_ratelimit_refusals_total", type: "counter", labels: ["reason"], recordedBy: "connector", help: "Calls refused without sending" },
  { name: "guildpulse_alerts_sent_total", type: "counter", labels: ["channel", "rule", "outcome"], recordedBy: "observability", help: "Notifier deliveries" }
]

export { CoreMetrics }

/** The invalid-request guard's window (docs/architecture.md §3: 10 minutes). */
export const DEFAULT_INVALID_REQUEST_WINDOW_MS = 600_000

/** The codes of `guildpulse_circuit_state` (as core records them on transitions). */
export const circuitStateCodes: Record<CircuitBreakerPolicy.CircuitStateName, number> = {
  closed: 0,
  open: 1,
  half_open: 2,
  throttled: 3,
  misconfigured: 4
}

/**
 * Sets the gauges derived from state: `snapshot_age_seconds{profile}`, `circuit_state{profile,source}` (the
 * effective state now, also for circuits shared with other instances and throttles that expired),
 * `queue_depth`, `dead_letters`, `refresh_lag_seconds`, `invalid_requests_window`. Run before each scrape;
 * store errors skip a gauge.
 */
export const sample = () =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const profiles = yield* ProfileRepository.ProfileRepository
    const snapshots = yield* SnapshotStore.SnapshotStore
    const scheduler = yield* RefreshScheduler.RefreshScheduler
    const breaker = yield* CircuitBreaker.CircuitBreaker
    const all = yield* Effect.orElseSucceed(profiles.list, () => [])
    yield* Effect.forEach(
      all,
      (profile) =>
        Effect.gen(function* () {
          for (const source of activeSources(profile)) {
            const state = CircuitBreakerPolicy.stateName(yield* breaker.state(profile.key, source))
            yield* Metric.set(
              Metric.tagged(Metric.tagged(CoreMetrics.circuitState, "profile", profile.key), "source", source),
              circuitStateCodes[state]
            )
          }
          const snapshot = yield* Effect.orElseSucceed(snapshots.get(profile.key), () => Option.none())
          if (Option.isNone(snapshot)) return
          const fetchedAt = headlineFetchedAtMs(snapshot.value)
          if (fetchedAt === undefined) return
          yield* Metric.set(Metric.tagged(snapshotAge, "profile", profile.key), Math.max(0, (now - fetchedAt) / 1000))
        }),
      { discard: true }
    )
    const status = yield* scheduler.status
    yield* Metric.set(queueDepth, status.queueDepth)
    yield* Metric.set(deadLetters, status.deadLetters.length)
    const lagMs = status.jobs.reduce(
      (max, job) => (job.deadLettered || job.nextRunAtMs === undefined ? max : Math.max(max, now - job.nextRunAtMs)),
      0
    )
    yield* Metric.set(refreshLag, Math.max(0, lagMs) / 1000)
  })
