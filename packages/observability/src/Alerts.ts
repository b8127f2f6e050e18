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
import { Clock, Context, Duration, Effect, Layer, Schedule } from "effect"
import {
  AlertRules,
  AlertRulesStore,
  AnalyticsStore,
  CircuitBreaker,
  Notifier as NotifierPort,
  ProfileRepository,
  RateLimitStore,
  RefreshScheduler,
  SnapshotStore
} from "@guildpulse/core"
import type { Profile } from "@guildpulse/core"
import { dispatch, send, testNotice, toNotice } from "./internal/alertDelivery.js"
import { makeProfileConditions } from "./internal/alertInputs.js"
import { invalidRequestGuard } from "./internal/alertRules.js"
import { GLOBAL, makeAlertBook } from "./internal/alertState.js"
import type { ActiveAlert, Incident, IncidentQuery } from "./internal/alertState.js"
import { DEFAULT_INVALID_REQUEST_WINDOW_MS } from "./Metrics.js"
import type { AlertNotice, DeliveryResult } from "./Notifier.js"

export type { Condition } from "./internal/alertRules.js"
export { circuitOpen, invalidRequestGuard, presenceDrop, refreshDeadLettered, staleData, tokenExpiring } from "./internal/alertRules.js"
export type { ActiveAlert, Incident } from "./internal/alertState.js"

type RuleId = AlertRules.RuleId

export class Alerts extends Context.Tag("@guildpulse/observability/Alerts")<
  Alerts,
  {
    /** One evaluation round; returns the notices it sent. */
    readonly evaluate: Effect.Effect<ReadonlyArray<AlertNotice>>
    readonly active: Effect.Effect<ReadonlyArray<ActiveAlert>>
    /** Incidents that overlap `[sinceMs, untilMs]`, oldest first. */
    readonly incidents: (query?: IncidentQuery) => Effect.Effect<ReadonlyArray<Incident>>
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

export const make = (options: AlertsOptions = {}) =>
  Effect.gen(function* () {
    const rulesStore = yield* AlertRulesStore.AlertRulesStore
    const notifier = yield* NotifierPort.Notifier
    const profiles = yield* ProfileRepository.ProfileRepository
    const scheduler = yield* RefreshScheduler.RefreshScheduler
    const rateLimits = yield* RateLimitStore.RateLimitStore
    const invalidWindowMs = options.invalidRequestWindowMs ?? DEFAULT_INVALID_REQUEST_WINDOW_MS
    const lock = yield* Effect.makeSemaphore(1)

    const book = makeAlertBook(options.maxIncidents ?? 1_000)
    const conditions = makeProfileConditions({
      snapshots: yield* SnapshotStore.SnapshotStore,
      analytics: yield* AnalyticsStore.AnalyticsStore,
      breaker: yield* CircuitBreaker.CircuitBreaker,
      frozenBaseline: (profile) => book.frozen("presence_drop", profile, "baseline")
    })

    const evaluate = lock.withPermits(1)(
      Effect.gen(function* () {
        const nowMs = yield* Clock.currentTimeMillis
        const config = yield* Effect.orElseSucceed(rulesStore.get, () => AlertRules.empty)
        const all = yield* Effect.orElseSucceed(profiles.list, () => [] as ReadonlyArray<Profile>)
        const status = yield* scheduler.status
        const pending: Array<{ rule: RuleId; notice: AlertNotice }> = []
        const apply = (rule: RuleId, rules: AlertRules.RuleSet, profile: Profile | undefined, condition: Parameters<typeof book.step>[3]) => {
          const transition = book.step(rule, rules[rule], profile?.key ?? GLOBAL, condition, nowMs)
          if (transition !== undefined) pending.push({ rule, notice: toNotice(rule, profile, transition, nowMs) })
        }
        for (const profile of all) {
          const rules = AlertRules.resolve(config, profile.key)
          for (const { condition, rule } of yield* conditions(profile, rules, nowMs, status)) apply(rule, rules, profile, condition)
        }
        const global = AlertRules.resolve(config)
        const invalid = yield* Effect.either(rateLimits.invalidCount(invalidWindowMs))
        apply(
          "invalid_request_guard",
          global,
          undefined,
          invalidRequestGuard({ rule: global.invalid_request_guard, count: invalid._tag === "Right" ? invalid.right : undefined, windowMs: invalidWindowMs })
        )
        book.forgetProfilesExcept(new Set<string>(all.map((p) => p.key)), nowMs)
        yield* dispatch(notifier, config, pending)
        return pending.map((p) => p.notice)
      })
    ).pipe(Effect.withSpan("Alerts.evaluate"))

    const service = Alerts.of({
      evaluate,
      active: Effect.sync(book.active),
      incidents: (query = {}) => Effect.sync(() => book.incidents(query)),
      sendTest: (testOptions) => Effect.flatMap(Clock.currentTimeMillis, (nowMs) => send(notifier, testNotice(nowMs), testOptions?.channels))
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
