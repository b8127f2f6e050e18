/**
 * The engine's metrics (docs/architecture.md §7) as Effect `Metric`s. `@guildpulse/observability` exports them in
 * Prometheus format; core only records. Tagged variants used on hot paths are built once, here.
 */
import { Metric, MetricBoundaries } from "effect"
import type { FreshnessState } from "./StatsView.js"

export const statsServed = Metric.counter("guildpulse_stats_served_total", {
  description: "Stats views served, by freshness state",
  incremental: true
})
export const statsServedByState: Record<FreshnessState, Metric.Metric.Counter<number>> = {
  fresh: Metric.tagged(statsServed, "state", "fresh"),
  stale: Metric.tagged(statsServed, "state", "stale"),
  degraded: Metric.tagged(statsServed, "state", "degraded"),
  demo: Metric.tagged(statsServed, "state", "demo"),
  unavailable: Metric.tagged(statsServed, "state", "unavailable")
}

export const cacheLookups = Metric.counter("guildpulse_cache_lookups_total", {
  description: "Snapshot cache lookups by result (hit, stale, miss)",
  incremental: true
})
export const cacheLookupsByResult = {
  hit: Metric.tagged(cacheLookups, "result", "hit"),
  stale: Metric.tagged(cacheLookups, "result", "stale"),
  miss: Metric.tagged(cacheLookups, "result", "miss")
} as const

export const upstreamRequests = Metric.counter("guildpulse_upstream_requests_total", {
  description: "Upstream calls by source, outcome and status class",
  incremental: true
})

export const upstreamDuration = Metric.histogram(
  "guildpulse_upstream_request_duration_seconds",
  MetricBoundaries.fromIterable([0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  "Upstream call duration in seconds, per source"
)

export const refreshJobs = Metric.counter("guildpulse_refresh_jobs_total", {
  description: "Refresh rounds by outcome",
  incremental: true
})

export const circuitState = Metric.gauge("guildpulse_circuit_state", {
  description: "Circuit state per profile and source: 0 closed, 1 open, 2 half-open, 3 throttled, 4 misconfigured"
})

export const guildOnline = Metric.gauge("guildpulse_guild_online", { description: "Online count last refreshed, per profile" })
export const guildMembers = Metric.gauge("guildpulse_guild_members", { description: "Member count last refreshed, per profile" })
