/**
 * Framework-free HTTP handlers for the observability endpoints. Each returns `{status, headers, body}`
 * (never fails, except bad input as core's `ValidationError`, which the host maps to a 400 problem naming
 * the field); the host does authentication and scope checks and passes what the caller may see:
 *
 * | route | scope | handler |
 * |---|---|---|
 * | `GET /metrics` | `metrics:read` | `metrics(access)` — Prometheus text; series of other (and deleted) profiles left out |
 * | `GET /v1/health` | `health:read` | `health(access)` — `HealthReport` JSON |
 * | `GET /v1/events` | `events:read` | `events(query, access)` — `{events, nextCursor}` |
 * | `GET /readyz` | public | `readiness` — 200 / 503 with `Retry-After` |
 * | `GET /v1/alerts/rules` | `alerts:write` | `getAlertRules` |
 * | `PUT /v1/alerts/rules` | `alerts:write` | `putAlertRules(body)` |
 * | `POST /v1/alerts/test` | `alerts:write` | `testAlert(body)` — `{channels?: string[]}` |
 */
import { Context, Effect, Layer, Option } from "effect"
import {
  AlertRules,
  AlertRulesStore,
  CircuitBreaker,
  EventLog,
  EventLevel,
  EventType,
  isProfileKey,
  Problem,
  ProfileRepository,
  RefreshScheduler,
  SnapshotStore,
  Validation,
  ValidationError
} from "@guildpulse/core"
import type { ValidationIssue } from "@guildpulse/core"
import { Alerts } from "./Alerts.js"
import { Health } from "./Health.js"
import * as Metrics from "./Metrics.js"
import { Prometheus } from "./Prometheus.js"

const decodeAlertRules = Validation.decode(AlertRules.AlertRules)

export interface HttpAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** What the caller may see: every profile, or some. */
export interface Access {
  readonly profiles: "*" | ReadonlySet<string>
}

export const everything: Access = { profiles: "*" }

export type Query = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

export class ObservabilityHttp extends Context.Tag("@guildpulse/observability/ObservabilityHttp")<
  ObservabilityHttp,
  {
    readonly metrics: (access?: Access) => Effect.Effect<HttpAnswer>
    readonly health: (access?: Access) => Effect.Effect<HttpAnswer>
    readonly readiness: Effect.Effect<HttpAnswer>
    readonly events: (query: Query, access?: Access) => Effect.Effect<HttpAnswer, ValidationError>
    readonly getAlertRules: Effect.Effect<HttpAnswer>
    readonly putAlertRules: (body: unknown) => Effect.Effect<HttpAnswer, ValidationError>
    readonly testAlert: (body: unknown) => Effect.Effect<HttpAnswer, ValidationError>
  }
>() {}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  body: JSON.stringify(value)
})

/** A problem+json answer in core's one wire format (`urn:guildpulse:problem:<code>`, like every other route). */
const problem = (status: number, code: string, detail: string): HttpAnswer => Problem.toHttp(Problem.make(status, code, detail))

const allowed = (access: Access, profile: string) => access.profiles === "*" || access.profiles.has(profile)

/** Drops every series labelled with a profile the caller may not see (Prometheus text). */
export const filterMetrics = (text: string, access: Access): string => {
  if (access.profiles === "*") return text
  const out: Array<string> = []
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) {
      const match = /[{,]profile="((?:[^"\\]|\\.)*)"/.exec(line)
      if (match !== null && !allowed(access, match[1]!)) continue
    }
    out.push(line)
  }
  return out.join("\n")
}

const typePrefixes = new Set(EventType.literals.map((t) => t.slice(0, t.indexOf("."))))
const knownTypes = new Set<string>(EventType.literals)
const levels = new Set<string>(EventLevel.literals)
const queryKeys = new Set(["profile", "type", "level", "since", "until", "limit", "cursor"])

const parseTime = (text: string): number | undefined => {
  if (/^\d{1,15}$/.test(text)) return Number(text)
  const ms = Date.parse(text)
  return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(ms) ? ms : undefined
}

/** Decodes the `/v1/events` query (`profile` may repeat or be comma-separated). */
export const parseEventQuery = (query: Query): Effect.Effect<EventLog.EventQuery, ValidationError> =>
  Effect.suspend(() => {
    const issues: Array<ValidationIssue> = []
    const single = (key: string): string | undefined => {
      const value = query[key]
      if (value === undefined) return undefined
      if (typeof value === "string") return value
      if (value.length === 1) return value[0]
      issues.push({ field: key, message: "must be given once" })
      return undefined
    }
    for (const key of Object.keys(query)) {
      if (!queryKeys.has(key)) issues.push({ field: key, message: "is not a known parameter (profile, type, level, since, until, limit, cursor)" })
    }
    const out: { -readonly [K in keyof EventLog.EventQuery]: EventLog.EventQuery[K] } = {}
    const rawProfiles = query["profile"]
    if (rawProfiles !== undefined) {
      const list = (typeof rawProfiles === "string" ? [rawProfiles] : rawProfiles).flatMap((p) => p.split(",")).map((p) => p.trim()).filter((p) => p !== "")
      const keys = list.filter(isProfileKey)
      if (keys.length < list.length || list.length === 0) issues.push({ field: "profile", message: "must be profile keys (1-64 characters of a-z, 0-9, '_' or '-'), comma-separated" })
      else out.profile = keys
    }
    const type = single("type")
    if (type !== undefined) {
      if (knownTypes.has(type) || typePrefixes.has(type)) out.type = type
      else issues.push({ field: "type", message: `must be an event type (${EventType.literals.join(", ")}) or a prefix such as 'refresh'` })
    }
    const level = single("level")
    if (level !== undefined) {
      if (levels.has(level)) out.level = level as EventLevel
      else issues.push({ field: "level", message: "must be one of debug, info, warn, error (the minimum level)" })
    }
    for (const key of ["since", "until"] as const) {
      const value = single(key)
      if (value === undefined) continue
      const ms = parseTime(value)
      if (ms === undefined) issues.push({ field: key, message: "must be an ISO 8601 timestamp or epoch milliseconds" })
      else out[key === "since" ? "sinceMs" : "untilMs"] = ms
    }
    const limit = single("limit")
    if (limit !== undefined) {
      const n = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN
      if (n >= 1 && n <= EventLog.MAX_QUERY_LIMIT) out.limit = n
      else issues.push({ field: "limit", message: `must be an integer from 1 to ${EventLog.MAX_QUERY_LIMIT}` })
    }
    const cursor = single("cursor")
    if (cursor !== undefined) {
      if (/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) out.cursor = cursor
      else issues.push({ field: "cursor", message: "must be a cursor returned as nextCursor" })
    }
    return issues.length > 0 ? Effect.fail(new ValidationError({ issues })) : Effect.succeed(out)
  })

export const make = Effect.gen(function* () {
  const prometheus = yield* Prometheus
  const healthService = yield* Health
  const eventLog = yield* EventLog.EventLog
  const rulesStore = yield* Effect.serviceOption(AlertRulesStore.AlertRulesStore)
  const alerts = yield* Effect.serviceOption(Alerts)
  const context = yield* Effect.context<
    | ProfileRepository.ProfileRepository
    | SnapshotStore.SnapshotStore
    | RefreshScheduler.RefreshScheduler
    | CircuitBreaker.CircuitBreaker
  >()

  const metrics = (access: Access = everything) =>
    Effect.gen(function* () {
      yield* Metrics.sample().pipe(Effect.provide(context))
      const text = yield* prometheus.scrape
      // Effect's metric registry never forgets a series: the gauges of a deleted profile keep their last
      // value. Only the series of profiles that exist now are shown (all of them when the list fails).
      const existing = yield* Effect.orElseSucceed(
        Effect.map(Context.get(context, ProfileRepository.ProfileRepository).list, (all) => new Set<string>(all.map((p) => p.key))),
        () => undefined
      )
      return {
        status: 200,
        headers: { "content-type": prometheus.contentType, "cache-control": "no-store" },
        body: filterMetrics(text, existing === undefined ? access : { profiles: access.profiles === "*" ? existing : new Set([...access.profiles].filter((p) => existing.has(p))) })
      }
    })

  const health = (access: Access = everything) =>
    Effect.map(healthService.report({ profiles: access.profiles }), (report) => json(200, report))

  const readiness = Effect.map(healthService.readiness, (r) =>
    r.ready
      ? json(200, { status: "ready", checks: r.checks })
      : json(503, { status: "not_ready", checks: r.checks }, { "retry-after": "5" })
  )

  const events = (query: Query, access: Access = everything) =>
    Effect.gen(function* () {
      const parsed = yield* parseEventQuery(query)
      let scoped = parsed
      if (access.profiles !== "*") {
        const asked = parsed.profile === undefined ? undefined : typeof parsed.profile === "string" ? [parsed.profile] : parsed.profile
        // The access's profiles are plain strings; one that is no profile key matches no event.
        const visible = asked === undefined ? [...access.profiles].filter(isProfileKey) : asked.filter((p) => allowed(access, p))
        if (visible.length === 0) return json(200, { events: [], nextCursor: null })
        scoped = { ...parsed, profile: visible }
      }
      const page = yield* eventLog.query(scoped)
      return json(200, { events: page.events, nextCursor: Option.getOrNull(page.nextCursor) })
    })

  const notConfigured = Effect.succeed(problem(404, "alerts_not_configured", "alerts are not configured in this instance"))

  const getAlertRules = Option.match(rulesStore, {
    onNone: () => notConfigured,
    onSome: (store) =>
      store.get.pipe(
        Effect.map((rules) => json(200, rules)),
        Effect.catchAll(() => Effect.succeed(problem(503, "store_unavailable", "the alert rules store is unreachable")))
      )
  })

  const putAlertRules = (body: unknown) =>
    Option.match(rulesStore, {
      onNone: () => notConfigured,
      onSome: (store) =>
        decodeAlertRules(body).pipe(
          Effect.flatMap(store.put),
          Effect.map((rules) => json(200, rules)),
          Effect.catchTag("StoreError", () => Effect.succeed(problem(503, "store_unavailable", "the alert rules store is unreachable")))
        )
    })

  const testAlert = (body: unknown) =>
    Option.match(alerts, {
      onNone: () => notConfigured,
      onSome: (service) =>
        Effect.gen(function* () {
          const input = body === undefined || body === null || body === "" ? {} : body
          if (typeof input !== "object" || Array.isArray(input)) {
            return yield* new ValidationError({ issues: [{ field: "(root)", message: "must be an object {channels?: string[]}" }] })
          }
          const channels = (input as { channels?: unknown }).channels
          if (channels !== undefined && !(Array.isArray(channels) && channels.every((c) => typeof c === "string"))) {
            return yield* new ValidationError({ issues: [{ field: "channels", message: "must be an array of channel names" }] })
          }
          const results = yield* service.sendTest(channels !== undefined ? { channels: channels as ReadonlyArray<string> } : undefined)
          return json(results.some((r) => !r.ok) ? 502 : 200, { results })
        })
    })

  return ObservabilityHttp.of({ metrics, health, readiness, events, getAlertRules, putAlertRules, testAlert })
})

export const layer: Layer.Layer<
  ObservabilityHttp,
  never,
  | Prometheus
  | Health
  | EventLog.EventLog
  | ProfileRepository.ProfileRepository
  | SnapshotStore.SnapshotStore
  | RefreshScheduler.RefreshScheduler
  | CircuitBreaker.CircuitBreaker
> = Layer.effect(ObservabilityHttp, make)
