/**
 * The connector's metrics (docs/architecture.md §7) as Effect `Metric`s; `@guildpulse/observability` exports them.
 * Labels stay low-cardinality: a bucket is Discord's bucket hash (or the route template until it is
 * known), never a guild id.
 */
import { Metric, MetricBoundaries } from "effect"

export const rateLimitRemaining = Metric.gauge("guildpulse_ratelimit_remaining", {
  description: "Requests left in the last observed Discord rate-limit bucket, per bucket"
})

export const rateLimitHits = Metric.counter("guildpulse_ratelimit_hits_total", {
  description: "429 answers received from Discord, by scope (user, global, shared); guard refusals as scope=guard",
  incremental: true
})

export const invalidRequestsWindow = Metric.gauge("guildpulse_invalid_requests_window", {
  description: "Invalid requests (401, 403, 429 except shared scope) counted in the rolling guard window"
})

export const rateLimitWaits = Metric.counter("guildpulse_ratelimit_waits_total", {
  description: "Pre-emptive waits before sending, by reason (bucket, global, blocked)",
  incremental: true
})

export const rateLimitWaitSeconds = Metric.histogram(
  "guildpulse_ratelimit_wait_seconds",
  MetricBoundaries.fromIterable([0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]),
  "Time a request spent waiting for its bucket and the global budget before being sent"
)

export const rateLimitRefusals = Metric.counter("guildpulse_ratelimit_refusals_total", {
  description: "Calls refused without sending, by reason (wait_too_long, guard)",
  incremental: true
})
