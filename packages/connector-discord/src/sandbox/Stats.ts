/**
 * Request accounting for `GET /__sandbox/stats`. Control-API calls are not counted. Statuses are keyed by
 * the HTTP status as a string; requests that never got a status are counted as "timeout" (held until the
 * client gave up or the server stopped) or "connection-reset".
 */
import type { RouteName } from "./Scenario.js"
import type { ViolationKind } from "./RateLimiter.js"

/** Routes as counted in stats; "unmatched" is everything that answered 404 "404: Not Found". */
export type StatsRoute = RouteName | "unmatched"

export interface RouteStats {
  readonly requests: number
  readonly statuses: Readonly<Record<string, number>>
  readonly rateLimited: number
}

export interface ViolationDetail {
  /** Sandbox clock (`now()`) at arrival, epoch milliseconds. */
  readonly atMs: number
  readonly route: RouteName
  /** Guild id or invite code of the bucket ("" for /users/@me). */
  readonly major: string
  /** `bot:<bot user id>` or `ip:<address>`; never a token. */
  readonly identity: string
  readonly kind: ViolationKind
  readonly earlyByMs: number
}

export interface SandboxStats {
  readonly routes: Readonly<Partial<Record<StatsRoute, RouteStats>>>
  readonly totalRequests: number
  readonly rateLimited: number
  /** Requests that Discord would count towards its invalid-request ban: 401, 403, and 429 except scope shared. */
  readonly invalidRequests: number
  readonly violations: number
  /** The most recent violations, oldest first (at most `VIOLATION_DETAIL_LIMIT`). */
  readonly violationsDetail: ReadonlyArray<ViolationDetail>
}

export const VIOLATION_DETAIL_LIMIT = 50

interface MutableRouteStats {
  requests: number
  statuses: Record<string, number>
  rateLimited: number
}

export class StatsRecorder {
  private routes = new Map<StatsRoute, MutableRouteStats>()
  private totalRequests = 0
  private rateLimited = 0
  private invalidRequests = 0
  private violations = 0
  private violationsDetail: Array<ViolationDetail> = []

  reset(): void {
    this.routes = new Map()
    this.totalRequests = 0
    this.rateLimited = 0
    this.invalidRequests = 0
    this.violations = 0
    this.violationsDetail = []
  }

  request(route: StatsRoute): void {
    this.totalRequests++
    this.routeFor(route).requests++
  }

  outcome(route: StatsRoute, status: number | "timeout" | "connection-reset", options?: { readonly sharedScope?: boolean }): void {
    const r = this.routeFor(route)
    const key = String(status)
    r.statuses[key] = (r.statuses[key] ?? 0) + 1
    if (status === 429) {
      r.rateLimited++
      this.rateLimited++
    }
    if (status === 401 || status === 403 || (status === 429 && options?.sharedScope !== true)) this.invalidRequests++
  }

  violation(detail: ViolationDetail): void {
    this.violations++
    this.violationsDetail.push(detail)
    if (this.violationsDetail.length > VIOLATION_DETAIL_LIMIT) this.violationsDetail.shift()
  }

  snapshot(): SandboxStats {
    const routes: Partial<Record<StatsRoute, RouteStats>> = {}
    for (const [name, r] of this.routes) routes[name] = { requests: r.requests, statuses: { ...r.statuses }, rateLimited: r.rateLimited }
    return {
      routes,
      totalRequests: this.totalRequests,
      rateLimited: this.rateLimited,
      invalidRequests: this.invalidRequests,
      violations: this.violations,
      violationsDetail: [...this.violationsDetail]
    }
  }

  private routeFor(route: StatsRoute): MutableRouteStats {
    let r = this.routes.get(route)
    if (r === undefined) {
      r = { requests: 0, statuses: {}, rateLimited: 0 }
      this.routes.set(route, r)
    }
    return r
  }
}
