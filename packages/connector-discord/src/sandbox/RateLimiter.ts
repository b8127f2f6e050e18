/**
 * The sandbox's side of Discord rate limiting: fixed-window buckets per (identity, route template, major
 * parameter), a global window per identity (bot token, or client IP for unauthenticated requests), and
 * "announced" Retry-After windows opened by the rate-limit scenarios.
 *
 * Violations. A request is a violation when the client had already been told not to send it: it arrives
 * while its bucket is at remaining 0 before the announced reset, or inside a Retry-After window announced
 * by an earlier 429. A client that waits `X-RateLimit-Reset-After` / `retry_after` never violates.
 *
 * Boundary tolerance. Timers fire a little early or late and the headers are rounded to milliseconds, so a
 * request arriving up to `RESET_TOLERANCE_MS` (5 ms) before the announced instant is treated as arriving on
 * time: the window counts as reset, the request is served and it is not a violation. The reset-after values
 * the sandbox announces are rounded UP to whole milliseconds, so honest clients never need the tolerance for
 * rounding, only for timer jitter.
 */
import { createHash } from "node:crypto"
import type { RouteName } from "./Scenario.js"

export interface RouteLimit {
  readonly limit: number
  readonly windowMs: number
}

export interface RateLimits {
  readonly widget: RouteLimit
  readonly guild: RouteLimit
  readonly invite: RouteLimit
  readonly me: RouteLimit
  /** Requests per second per bot token across all routes. */
  readonly globalPerSecond: number
  /** Requests per second per client IP for requests without a token. */
  readonly unauthenticatedPerSecond: number
}

export type RateLimitOptions = Partial<RateLimits>

/**
 * Defaults modelled on what Discord announces for these routes (they change without notice; clients must
 * read the headers): 5 per second for guild-scoped reads, a tighter 5 per 5 s for invites, Discord's
 * documented 50 per second global limit per bot and the same per IP for unauthenticated calls.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  widget: { limit: 5, windowMs: 1_000 },
  guild: { limit: 5, windowMs: 1_000 },
  invite: { limit: 5, windowMs: 5_000 },
  me: { limit: 5, windowMs: 1_000 },
  globalPerSecond: 50,
  unauthenticatedPerSecond: 50
}

/** See the module comment: how early a request may arrive and still count as on time. */
export const RESET_TOLERANCE_MS = 5
export const GLOBAL_WINDOW_MS = 1_000

/** Route templates as Discord keys them: the major parameter is a placeholder. */
export const ROUTE_TEMPLATES: Readonly<Record<RouteName, string>> = {
  widget: "GET /guilds/{guild.id}/widget.json",
  guild: "GET /guilds/{guild.id}",
  invite: "GET /invites/{invite.code}",
  me: "GET /users/@me"
}

/** Stable opaque `X-RateLimit-Bucket` for a route template (the major parameter is not part of it). */
export const bucketHash = (route: RouteName): string =>
  createHash("sha256").update(`guildpulse-sandbox:${ROUTE_TEMPLATES[route]}`).digest("hex").slice(0, 32)

/** Fills in defaults and rejects limits that cannot work (throws `RangeError` naming the option). */
export const resolveLimits = (options: RateLimitOptions | undefined): RateLimits => {
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS, ...options }
  for (const route of ["widget", "guild", "invite", "me"] as const) {
    const { limit, windowMs } = limits[route]
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limits.${route}.limit must be an integer >= 1`)
    if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`limits.${route}.windowMs must be > 0`)
  }
  for (const key of ["globalPerSecond", "unauthenticatedPerSecond"] as const) {
    if (!Number.isInteger(limits[key]) || limits[key] < 1) throw new RangeError(`limits.${key} must be an integer >= 1`)
  }
  return limits
}

export type ViolationKind = "bucket-exhausted" | "retry-after" | "global-retry-after"

export interface ViolationInfo {
  readonly kind: ViolationKind
  /** How long before the allowed instant the request arrived. */
  readonly earlyByMs: number
}

export interface BucketState {
  readonly limit: number
  readonly remaining: number
  readonly resetAtMs: number
  readonly resetAfterMs: number
  readonly bucket: string
}

export type RouteDecision =
  | { readonly allowed: true; readonly bucket: BucketState }
  | {
      readonly allowed: false
      readonly bucket: BucketState
      readonly retryAfterMs: number
      readonly violation: ViolationInfo | undefined
    }

export type GlobalDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly violation: ViolationInfo | undefined }

export interface BucketKey {
  /** `bot:<user id>` or `ip:<address>`. */
  readonly identity: string
  readonly route: RouteName
  /** Guild id, invite code, or "" for routes without one. */
  readonly major: string
}

interface Bucket {
  remaining: number
  resetAtMs: number | undefined
  scenarioBlockedUntil: number
}

interface GlobalWindow {
  startMs: number | undefined
  count: number
  blockedUntil: number
  scenarioBlockedUntil: number
}

const SWEEP_THRESHOLD = 10_000

export class SandboxRateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly globals = new Map<string, GlobalWindow>()

  constructor(private readonly limits: RateLimits) {}

  reset(): void {
    this.buckets.clear()
    this.globals.clear()
  }

  /** Forgets Retry-After windows announced by scenarios (called when scenarios are cleared). */
  clearScenarioWindows(): void {
    for (const b of this.buckets.values()) b.scenarioBlockedUntil = 0
    for (const g of this.globals.values()) g.scenarioBlockedUntil = 0
  }

  /** Counts a request against the identity's global window. */
  consumeGlobal(identity: string, authenticated: boolean, nowMs: number): GlobalDecision {
    const g = this.globalFor(identity)
    if (nowMs < g.blockedUntil - RESET_TOLERANCE_MS) {
      const retryAfterMs = g.blockedUntil - nowMs
      return { allowed: false, retryAfterMs, violation: { kind: "global-retry-after", earlyByMs: retryAfterMs } }
    }
    if (g.startMs === undefined || nowMs >= g.startMs + GLOBAL_WINDOW_MS - RESET_TOLERANCE_MS) {
      g.startMs = nowMs
      g.count = 0
    }
    const limit = authenticated ? this.limits.globalPerSecond : this.limits.unauthenticatedPerSecond
    if (g.count >= limit) {
      g.blockedUntil = g.startMs + GLOBAL_WINDOW_MS
      return { allowed: false, retryAfterMs: g.blockedUntil - nowMs, violation: undefined }
    }
    g.count++
    return { allowed: true }
  }

  /** The `global-rate-limit` scenario: 429 now, announcing `retryAfterMs` unless a window is already open. */
  scenarioGlobal(identity: string, retryAfterMs: number, nowMs: number): GlobalDecision {
    const g = this.globalFor(identity)
    if (nowMs < g.scenarioBlockedUntil - RESET_TOLERANCE_MS) {
      const left = g.scenarioBlockedUntil - nowMs
      return { allowed: false, retryAfterMs: left, violation: { kind: "global-retry-after", earlyByMs: left } }
    }
    g.scenarioBlockedUntil = nowMs + retryAfterMs
    return { allowed: false, retryAfterMs, violation: undefined }
  }

  /** Counts a request against its route bucket. */
  consumeRoute(key: BucketKey, nowMs: number): RouteDecision {
    const limit = this.limits[key.route]
    const b = this.bucketFor(key, nowMs)
    if (b.resetAtMs !== undefined && nowMs >= b.resetAtMs - RESET_TOLERANCE_MS) b.resetAtMs = undefined
    if (b.resetAtMs === undefined) {
      b.resetAtMs = nowMs + limit.windowMs
      b.remaining = limit.limit
    }
    const resetAtMs = b.resetAtMs
    if (b.remaining <= 0) {
      const retryAfterMs = resetAtMs - nowMs
      return {
        allowed: false,
        bucket: this.state(key.route, 0, resetAtMs, nowMs),
        retryAfterMs,
        violation: { kind: "bucket-exhausted", earlyByMs: retryAfterMs }
      }
    }
    b.remaining--
    return { allowed: true, bucket: this.state(key.route, b.remaining, resetAtMs, nowMs) }
  }

  /** The `rate-limited` scenario: 429 now, announcing `retryAfterMs` unless a window is already open. */
  scenarioRoute(key: BucketKey, retryAfterMs: number, nowMs: number): RouteDecision {
    const b = this.bucketFor(key, nowMs)
    if (nowMs < b.scenarioBlockedUntil - RESET_TOLERANCE_MS) {
      const left = b.scenarioBlockedUntil - nowMs
      return {
        allowed: false,
        bucket: this.state(key.route, 0, b.scenarioBlockedUntil, nowMs),
        retryAfterMs: left,
        violation: { kind: "retry-after", earlyByMs: left }
      }
    }
    b.scenarioBlockedUntil = nowMs + retryAfterMs
    return { allowed: false, bucket: this.state(key.route, 0, b.scenarioBlockedUntil, nowMs), retryAfterMs, violation: undefined }
  }

  private state(route: RouteName, remaining: number, resetAtMs: number, nowMs: number): BucketState {
    return {
      limit: this.limits[route].limit,
      remaining,
      resetAtMs,
      resetAfterMs: Math.max(0, resetAtMs - nowMs),
      bucket: bucketHash(route)
    }
  }

  private bucketFor(key: BucketKey, nowMs: number): Bucket {
    const id = `${key.identity}\u0000${key.route}\u0000${key.major}`
    let b = this.buckets.get(id)
    if (b === undefined) {
      if (this.buckets.size >= SWEEP_THRESHOLD) this.sweep(nowMs)
      b = { remaining: 0, resetAtMs: undefined, scenarioBlockedUntil: 0 }
      this.buckets.set(id, b)
    }
    return b
  }

  private globalFor(identity: string): GlobalWindow {
    let g = this.globals.get(identity)
    if (g === undefined) {
      g = { startMs: undefined, count: 0, blockedUntil: 0, scenarioBlockedUntil: 0 }
      this.globals.set(identity, g)
    }
    return g
  }

  /** Drops buckets with nothing left to remember, so random guild ids cannot grow memory forever. */
  private sweep(nowMs: number): void {
    for (const [id, b] of this.buckets) {
      if (b.scenarioBlockedUntil <= nowMs && (b.resetAtMs === undefined || b.resetAtMs <= nowMs)) this.buckets.delete(id)
    }
    if (this.buckets.size >= SWEEP_THRESHOLD) this.buckets.clear()
  }
}
