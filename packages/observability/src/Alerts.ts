/**
 * The alert engine: evaluates the rules of `AlertRules` for every profile (and the process-wide invalid-
 * request guard) every 30 s, and turns changes into notices sent through the `Notifier`.
 *
 * - De-duplication: one incident per (rule, profile); while it keeps firing nothing more is sent.
 * - Recovery: when the condition clears, a "resolved" notice follows the "firing" one.
 * - Cooldown (per rule): at most one "firing" notice per (rule, profile) per `cooldownMinutes`. An incident
 *   that starts inside the cooldown of the previous one stays quiet (flapping), unless it is still firing
 *   when the cooldown ends — then it is notified. A quiet incident's recovery is quiet too.
 * - Presence drop compares the current online count against the average of the analytics samples over the
 *   baseline window; the baseline is frozen while the incident lasts, so the alert recovers when the count
 *   comes back rather than when the baseline sinks to meet it.
 *
 * State is kept in memory: run the alert loop in one instance (the worker). Incidents are kept (the last
 * 1,000) for the weekly digest.
 */
import { Clock, Context, Duration, Effect, Layer, Option, Schedule } from "effect"
import {
  activeSources,
  AlertRules,
  AlertRulesStore,
  AnalyticsStore,
  CircuitBreaker,
  CircuitBreakerPolicy,
  headlineFetchedAtMs,
  ProfileRepository,
  RateLimitStore,
  RefreshScheduler,
  SnapshotStore
} from "@guildpulse/core"
import type { Profile, Snapshot, UpstreamSource } from "@guildpulse/core"
type RuleId = AlertRules.RuleId
type RuleSet = AlertRules.RuleSet
import { daysUntil, freshnessNow } from "./Health.js"
import { DEFAULT_INVALID_REQUEST_WINDOW_MS } from "./Metrics.js"
import { Notifier as NotifierPort } from "@guildpulse/core"
import type { AlertNotice, DeliveryResult, Detail, Severity } from "./Notifier.js"

/** What a rule says about one profile now. `unknown`: cannot tell (leave the incident as it is). */
export type Condition =
  | { readonly _tag: "ok" }
  | { readonly _tag: "unknown" }
  | {
      readonly _tag: "firing"
      readonly severity: Severity
      readonly title: string
      readonly summary: string
      readonly details: ReadonlyArray<Detail>
      /** Values remembered for the incident (presence drop: the frozen baseline). */
      readonly context?: Readonly<Record<string, number>>
    }

const ok: Condition = { _tag: "ok" }
const unknown: Condition = { _tag: "unknown" }

export interface Incident {
  readonly id: string
  readonly rule: RuleId
  readonly profile: string
  readonly severity: Severity
  readonly title: string
  readonly startedAtMs: number
  readonly resolvedAtMs: number | undefined
  /** Whether a "firing" notice went out (false while held back by the cooldown). */
  readonly notified: boolean
}

export interface ActiveAlert {
  readonly rule: RuleId
  readonly profile: string
  readonly severity: Severity
  readonly title: string
  readonly summary: string
  readonly since: string
  readonly notified: boolean
}

export class Alerts extends Context.Tag("@guildpulse/observability/Alerts")<
  Alerts,
  {
    /** One evaluation round; returns the notices it sent. */
    readonly evaluate: Effect.Effect<ReadonlyArray<AlertNotice>>
    readonly active: Effect.Effect<ReadonlyArray<ActiveAlert>>
    /** Incidents that overlap `[sinceMs, untilMs]`, oldest first. */
    readonly incidents: (query?: { readonly profile?: string; readonly sinceMs?: number; readonly untilMs?: number }) => Effect.Effect<ReadonlyArray<Incident>>
    /** Sends a test notice (`POST /v1/alerts/test`). */
    readonly sendTest: (options?: { readonly channels?: ReadonlyArray<string> }) => Effect.Effect<ReadonlyArray<DeliveryResult>>
  }
>() {}

export interface AlertsOptions {
  /** Evaluation cadence of the background loop (default 30 s). */
  readonly evaluateEveryMs?: number
  /** Start the background loop (default true; tests call `evaluate` by hand). */
  readonly run?: boolean
  readonly invalidRequestWindowMs?: number
  readonly maxIncidents?: number
}

export const DEFAULT_EVALUATE_EVERY_MS = 30_000
const MINUTE_MS = 60_000

const round1 = (n: number) => Math.round(n * 10) / 10
const minutes = (ms: number) => `${Math.round(ms / MINUTE_MS)} min`

// ---------------------------------------------------------------------------------------------------------
// Rules as functions of what they look at (pure).

export const presenceDrop = (input: {
  readonly rule: RuleSet["presence_drop"]
  readonly current: number | undefined
  readonly baselineSamples: ReadonlyArray<number>
  /** The incident's frozen baseline, when firing. */
  readonly frozenBaseline: number | undefined
}): Condition => {
  if (input.current === undefined) return unknown
  let baseline = input.frozenBaseline
  if (baseline === undefined) {
    if (input.baselineSamples.length < 3) return unknown
    baseline = input.baselineSamples.reduce((a, b) => a + b, 0) / input.baselineSamples.length
  }
  if (baseline < input.rule.minBaselineOnline || baseline <= 0) return ok
  const dropPercent = ((baseline - input.current) / baseline) * 100
  if (dropPercent < input.rule.dropPercent) return ok
  return {
    _tag: "firing",
    severity: "warning",
    title: "Online count dropped",
    summary: `Online fell to ${input.current}, ${round1(dropPercent)} % below the ${input.rule.baselineMinutes}-minute average of ${round1(baseline)}.`,
    details: [
      { label: "Online now", value: String(input.current) },
      { label: "Baseline", value: String(round1(baseline)) },
      { label: "Drop", value: `${round1(dropPercent)} %` }
    ],
    context: { baseline }
  }
}

export const staleData = (input: {
  readonly rule: RuleSet["stale_data"]
  readonly nowMs: number
  /** When the headline numbers were fetched; undefined when there are none. */
  readonly fetchedAtMs: number | undefined
  /** Since when the engine has been waiting for a first answer. */
  readonly waitingSinceMs: number
}): Condition => {
  const limitMs = input.rule.olderThanMinutes * MINUTE_MS
  if (input.fetchedAtMs === undefined) {
    const waited = input.nowMs - input.waitingSinceMs
    return waited < limitMs
      ? ok
      : {
          _tag: "firing",
          severity: "critical",
          title: "No data",
          summary: `No numbers have arrived from Discord for ${minutes(waited)}.`,
          details: [{ label: "Waiting for", value: minutes(waited) }]
        }
  }
  const ageMs = input.nowMs - input.fetchedAtMs
  if (ageMs < limitMs) return ok
  return {
    _tag: "firing",
    severity: "warning",
    title: "Data is stale",
    summary: `The numbers shown are ${minutes(ageMs)} old (limit ${input.rule.olderThanMinutes} min); refreshes are failing.`,
    details: [
      { label: "Age", value: minutes(ageMs) },
      { label: "Fetched at", value: new Date(input.fetchedAtMs).toISOString() }
    ]
  }
}

export const circuitOpen = (input: {
  readonly rule: RuleSet["circuit_open"]
  readonly nowMs: number
  readonly circuits: ReadonlyArray<{ readonly source: string; readonly state: string; readonly sinceMs: number | undefined; readonly reason?: string }>
}): Condition => {
  const limitMs = input.rule.openForMinutes * MINUTE_MS
  const long = input.circuits.filter((c) => c.sinceMs !== undefined && input.nowMs - c.sinceMs >= limitMs)
  if (long.length === 0) return ok
  const misconfigured = long.some((c) => c.state === "misconfigured")
  return {
    _tag: "firing",
    severity: misconfigured ? "critical" : "warning",
    title: misconfigured ? "Source misconfigured" : "Circuit open",
    summary: long
      .map((c) => `${c.source} has been ${c.state.replace("_", "-")} for ${minutes(input.nowMs - c.sinceMs!)}${c.reason !== undefined ? ` (${c.reason})` : ""}`)
      .join("; ") + ".",
    details: long.map((c) => ({ label: `Circuit ${c.source}`, value: `${c.state} since ${new Date(c.sinceMs!).toISOString()}` }))
  }
}

export const invalidRequestGuard = (input: { readonly rule: RuleSet["invalid_request_guard"]; readonly count: number | undefined; readonly windowMs: number }): Condition => {
  if (input.count === undefined) return unknown
  if (input.count < input.rule.threshold) return ok
  return {
    _tag: "firing",
    severity: "critical",
    title: "Invalid-request guard tripped",
    summary: `${input.count} invalid requests (401/403/429) in the last ${minutes(input.windowMs)} — at or above ${input.rule.threshold}; non-essential Discord calls are paused to stay clear of Discord's ban threshold.`,
    details: [
      { label: "Invalid requests", value: String(input.count) },
      { label: "Threshold", value: String(input.rule.threshold) }
    ]
  }
}

export const tokenExpiring = (input: { readonly rule: RuleSet["token_expiring"]; readonly profile: Profile; readonly nowMs: number }): Condition => {
  const { profile } = input
  if (!profile.sources.bot || !profile.token.present) return ok
  const days = daysUntil(profile.token.expiresAt, input.nowMs)
  const status = profile.token.status
  if (status === "invalid") {
    return { _tag: "firing", severity: "critical", title: "Bot token rejected", summary: "Discord rejects the bot token; member counts from the bot source are unavailable. Set a new token.", details: [{ label: "Token status", value: status }] }
  }
  if (status === "expired" || (days !== null && days < 0)) {
    return { _tag: "firing", severity: "critical", title: "Bot token expired", summary: "The bot token has expired. Rotate it.", details: [{ label: "Expired at", value: profile.token.expiresAt ?? "unknown" }] }
  }
  if (status === "expiring" || (days !== null && days <= input.rule.withinDays)) {
    return {
      _tag: "firing",
      severity: "warning",
      title: "Bot token expiring",
      summary: days !== null ? `The bot token expires in ${days} days. Rotate it before then.` : "The bot token is about to expire. Rotate it.",
      details: [{ label: "Expires at", value: profile.token.expiresAt ?? "unknown" }]
    }
  }
  return ok
}

export const refreshDeadLettered = (input: {
  readonly deadLettered: boolean
  readonly consecutiveFailures: number
  readonly reasons?: ReadonlyArray<string>
}): Condition =>
  input.deadLettered
    ? {
        _tag: "firing",
        severity: "critical",
        title: "Refresh parked",
        summary: `Every source of the profile is misconfigured${input.reasons !== undefined && input.reasons.length > 0 ? ` (${input.reasons.join(", ")})` : ""}; the refresh job is parked: probed on a growing interval (30 s, doubling, up to hourly), and at once when the profile changes.`,
        details: [
          { label: "Reasons", value: input.reasons !== undefined && input.reasons.length > 0 ? input.reasons.join(", ") : "—" },
          { label: "Failures in a row", value: String(input.consecutiveFailures) }
        ]
      }
    : ok

// ---------------------------------------------------------------------------------------------------------

interface AlertState {
  firing: boolean
  sinceMs: number
  notified: boolean
  context: Readonly<Record<string, number>> | undefined
  last: Extract<Condition, { _tag: "firing" }> | undefined
  lastFiringNoticeAtMs: number | undefined
  incidentIndex: number | undefined
}

const stateKey = (rule: RuleId, profile: string) => `${rule}\u0000${profile}`

export const make = (options: AlertsOptions = {}) =>
  Effect.gen(function* () {
    const rulesStore = yield* AlertRulesStore.AlertRulesStore
    const notifier = yield* NotifierPort.Notifier
    const profiles = yield* ProfileRepository.ProfileRepository
    const snapshots = yield* SnapshotStore.SnapshotStore
    const breaker = yield* CircuitBreaker.CircuitBreaker
    const scheduler = yield* RefreshScheduler.RefreshScheduler
    const rateLimits = yield* RateLimitStore.RateLimitStore
    const analytics = yield* AnalyticsStore.AnalyticsStore
    const invalidWindowMs = options.invalidRequestWindowMs ?? DEFAULT_INVALID_REQUEST_WINDOW_MS
    const maxIncidents = options.maxIncidents ?? 1_000
    const lock = yield* Effect.makeSemaphore(1)

    const states = new Map<string, AlertState>()
    const circuitSince = new Map<string, number>()
    const firstSeen = new Map<string, number>()
    const incidents: Array<Incident> = []
    let incidentBase = 0 // incidents dropped from the front, so indexes stay valid

    const incidentAt = (index: number | undefined) => (index === undefined ? undefined : incidents[index - incidentBase])

    const notice = (
      rule: RuleId,
      profile: Profile | undefined,
      state: AlertState,
      status: "firing" | "resolved",
      nowMs: number
    ): AlertNotice => {
      const last = state.last!
      const key = profile?.key ?? "*"
      return {
        kind: "alert",
        id: `${rule}:${key}:${state.sinceMs}`,
        status,
        rule,
        profile: key,
        ...(profile !== undefined ? { profileLabel: profile.label } : {}),
        severity: last.severity,
        title: last.title,
        summary: status === "firing" ? last.summary : `Resolved after ${minutes(nowMs - state.sinceMs)}: ${last.summary}`,
        details: last.details,
        startedAt: new Date(state.sinceMs).toISOString(),
        ...(status === "resolved" ? { resolvedAt: new Date(nowMs).toISOString() } : {}),
        dedupKey: `${rule}:${key}`
      }
    }

    /** Applies a condition to the incident state; returns the notice to send, if any. */
    const step = (rule: RuleId, settings: { readonly enabled: boolean; readonly cooldownMinutes: number }, profile: Profile | undefined, condition: Condition, nowMs: number): AlertNotice | undefined => {
      const key = stateKey(rule, profile?.key ?? "*")
      let state = states.get(key)
      const effective = settings.enabled ? condition : ok
      if (effective._tag === "unknown") return undefined
      const cooldownMs = settings.cooldownMinutes * MINUTE_MS
      const cooledDown = (s: AlertState) => s.lastFiringNoticeAtMs === undefined || nowMs - s.lastFiringNoticeAtMs >= cooldownMs
      if (effective._tag === "firing") {
        if (state === undefined) {
          state = { firing: false, sinceMs: nowMs, notified: false, context: undefined, last: undefined, lastFiringNoticeAtMs: undefined, incidentIndex: undefined }
          states.set(key, state)
        }
        if (!state.firing) {
          state.firing = true
          state.sinceMs = nowMs
          state.notified = false
          state.context = effective.context
          state.last = effective
          incidents.push({ id: `${rule}:${profile?.key ?? "*"}:${nowMs}`, rule, profile: profile?.key ?? "*", severity: effective.severity, title: effective.title, startedAtMs: nowMs, resolvedAtMs: undefined, notified: false })
          if (incidents.length > maxIncidents) {
            incidents.shift()
            incidentBase += 1
          }
          state.incidentIndex = incidentBase + incidents.length - 1
        } else {
          state.last = { ...effective, ...(state.context !== undefined ? { context: state.context } : {}) }
        }
        if (!state.notified && cooledDown(state)) {
          state.notified = true
          state.lastFiringNoticeAtMs = nowMs
          const index = state.incidentIndex
          const incident = incidentAt(index)
          if (incident !== undefined) incidents[index! - incidentBase] = { ...incident, notified: true, severity: effective.severity, title: effective.title }
          return notice(rule, profile, state, "firing", nowMs)
        }
        return undefined
      }
      // ok
      if (state === undefined || !state.firing) return undefined
      state.firing = false
      state.context = undefined
      const incident = incidentAt(state.incidentIndex)
      if (incident !== undefined) incidents[state.incidentIndex! - incidentBase] = { ...incident, resolvedAtMs: nowMs }
      if (!state.notified) return undefined
      state.notified = false
      return notice(rule, profile, state, "resolved", nowMs)
    }

    const frozen = (rule: RuleId, profile: string, name: string): number | undefined => {
      const state = states.get(stateKey(rule, profile))
      return state?.firing === true ? state.context?.[name] : undefined
    }

    const evaluateProfile = (
      profile: Profile,
      rules: RuleSet,
      nowMs: number,
      schedulerStatus: RefreshScheduler.SchedulerStatus
    ): Effect.Effect<ReadonlyArray<{ rule: RuleId; notice: AlertNotice }>> =>
      Effect.gen(function* () {
        if (!firstSeen.has(profile.key)) firstSeen.set(profile.key, nowMs)
        const snapshot = Option.getOrUndefined(yield* Effect.orElseSucceed(snapshots.get(profile.key), () => Option.none<Snapshot>()))
        const own = snapshot !== undefined && snapshot.guildId === profile.guildId ? snapshot : undefined
        const freshness = freshnessNow(profile, own, nowMs)
        const out: Array<{ rule: RuleId; notice: AlertNotice }> = []
        const push = (rule: RuleId, condition: Condition) => {
          const n = step(rule, rules[rule], profile, condition, nowMs)
          if (n !== undefined) out.push({ rule, notice: n })
        }

        // presence_drop
        const current = freshness.state === "fresh" || freshness.state === "stale" ? own?.fields.online : undefined
        const baselineWindowMs = rules.presence_drop.baselineMinutes * MINUTE_MS
        const samples = rules.presence_drop.enabled && current !== undefined
          ? yield* Effect.orElseSucceed(analytics.query({ profile: profile.key, fromMs: nowMs - baselineWindowMs, toMs: nowMs }), () => [])
          : []
        push("presence_drop", presenceDrop({
          rule: rules.presence_drop,
          current,
          baselineSamples: samples.flatMap((s) => (s.online !== undefined && s.state !== "demo" ? [s.online] : [])),
          frozenBaseline: frozen("presence_drop", profile.key, "baseline")
        }))

        // stale_data
        push("stale_data", staleData({
          rule: rules.stale_data,
          nowMs,
          fetchedAtMs: own === undefined ? undefined : headlineFetchedAtMs(own),
          waitingSinceMs: firstSeen.get(profile.key)!
        }))

        // circuit_open
        const circuits = yield* Effect.forEach(activeSources(profile), (source: UpstreamSource) =>
          Effect.gen(function* () {
            const state = yield* breaker.state(profile.key, source)
            const name = CircuitBreakerPolicy.stateName(state)
            const key = `${profile.key}\u0000${source}`
            if (name === "closed" || name === "throttled") {
              circuitSince.delete(key)
              return { source, state: name, sinceMs: undefined }
            }
            const known = state._tag === "Misconfigured" ? state.sinceMs : state._tag === "Open" ? state.openedAtMs : nowMs
            const since = Math.min(circuitSince.get(key) ?? known, known)
            circuitSince.set(key, since)
            return { source, state: name, sinceMs: since, ...("reason" in state && state.reason !== undefined ? { reason: state.reason } : {}) }
          })
        )
        push("circuit_open", circuitOpen({ rule: rules.circuit_open, nowMs, circuits }))

        // token_expiring
        push("token_expiring", tokenExpiring({ rule: rules.token_expiring, profile, nowMs }))

        // refresh_dead_lettered
        const job = schedulerStatus.jobs.find((j) => j.profile === profile.key)
        push("refresh_dead_lettered", refreshDeadLettered({
          deadLettered: schedulerStatus.deadLetters.includes(profile.key),
          consecutiveFailures: job?.consecutiveFailures ?? own?.consecutiveFailures ?? 0,
          reasons: own?.reasons ?? []
        }))
        return out
      })

    const evaluate = lock.withPermits(1)(
      Effect.gen(function* () {
        const nowMs = yield* Clock.currentTimeMillis
        const config = yield* Effect.orElseSucceed(rulesStore.get, () => AlertRules.empty)
        const all = yield* Effect.orElseSucceed(profiles.list, () => [] as ReadonlyArray<Profile>)
        const status = yield* scheduler.status
        const pending: Array<{ rule: RuleId; notice: AlertNotice }> = []
        for (const profile of all) {
          pending.push(...(yield* evaluateProfile(profile, AlertRules.resolve(config, profile.key), nowMs, status)))
        }
        const global = AlertRules.resolve(config)
        const invalid = yield* Effect.either(rateLimits.invalidCount(invalidWindowMs))
        const guard = step(
          "invalid_request_guard",
          global.invalid_request_guard,
          undefined,
          invalidRequestGuard({ rule: global.invalid_request_guard, count: invalid._tag === "Right" ? invalid.right : undefined, windowMs: invalidWindowMs }),
          nowMs
        )
        if (guard !== undefined) pending.push({ rule: "invalid_request_guard", notice: guard })
        // Profiles that were deleted: close their incidents quietly.
        const keys = new Set<string>(all.map((p) => p.key))
        for (const [key, state] of states) {
          const profile = key.slice(key.indexOf("\u0000") + 1)
          if (profile !== "*" && !keys.has(profile)) {
            const incident = incidentAt(state.incidentIndex)
            if (state.firing && incident !== undefined) incidents[state.incidentIndex! - incidentBase] = { ...incident, resolvedAtMs: nowMs }
            states.delete(key)
          }
        }
        yield* Effect.forEach(
          pending,
          ({ rule, notice }) => {
            const settings = (rule === "invalid_request_guard" ? global : AlertRules.resolve(config, notice.profile === "*" ? undefined : notice.profile))[rule]
            return notifier.send(notice, settings.channels !== undefined ? { channels: settings.channels } : undefined)
          },
          { discard: true, concurrency: 4 }
        )
        return pending.map((p) => p.notice)
      })
    ).pipe(Effect.withSpan("Alerts.evaluate"))

    const active = Effect.sync(() =>
      [...states.entries()].flatMap(([key, state]) => {
        if (!state.firing || state.last === undefined) return []
        const [rule, profile] = key.split("\u0000") as [RuleId, string]
        return [{
          rule,
          profile,
          severity: state.last.severity,
          title: state.last.title,
          summary: state.last.summary,
          since: new Date(state.sinceMs).toISOString(),
          notified: state.notified
        }]
      })
    )

    const service = Alerts.of({
      evaluate,
      active,
      incidents: (query = {}) =>
        Effect.sync(() =>
          incidents.filter((i) =>
            (query.profile === undefined || i.profile === query.profile) &&
            (query.untilMs === undefined || i.startedAtMs <= query.untilMs) &&
            (query.sinceMs === undefined || i.resolvedAtMs === undefined || i.resolvedAtMs >= query.sinceMs)
          )
        ),
      sendTest: (testOptions) =>
        Effect.gen(function* () {
          const nowMs = yield* Clock.currentTimeMillis
          const startedAt = new Date(nowMs).toISOString()
          const test: AlertNotice = {
            kind: "alert",
            id: `test:*:${nowMs}`,
            status: "firing",
            rule: "test",
            profile: "*",
            severity: "info",
            title: "Test notification",
            summary: "This is a test of GuildPulse alert delivery. No action needed.",
            details: [],
            startedAt,
            dedupKey: "test:*",
            test: true
          }
          return yield* notifier.send(test, testOptions?.channels !== undefined ? { channels: testOptions.channels } : undefined)
        })
    })

    if (options.run !== false) {
      const every = Duration.millis(options.evaluateEveryMs ?? DEFAULT_EVALUATE_EVERY_MS)
      yield* Effect.forkScoped(
        Effect.repeat(
          evaluate.pipe(Effect.catchAllCause((cause) => Effect.logError("alert evaluation failed", cause))),
          Schedule.spaced(every)
        )
      )
    }
    return service
  })

export const layer = (
  options?: AlertsOptions
): Layer.Layer<
  Alerts,
  never,
  | AlertRulesStore.AlertRulesStore
  | NotifierPort.Notifier
  | AnalyticsStore.AnalyticsStore
  | ProfileRepository.ProfileRepository
  | SnapshotStore.SnapshotStore
  | CircuitBreaker.CircuitBreaker
  | RefreshScheduler.RefreshScheduler
  | RateLimitStore.RateLimitStore
> => Layer.scoped(Alerts, make(options))
