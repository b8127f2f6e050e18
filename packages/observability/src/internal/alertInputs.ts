/**
 * Gathers what the rules look at for one profile (its snapshot, analytics samples, circuit states, scheduler
 * status) and returns each rule's `Condition`. Remembers two things across rounds: when a profile was first
 * seen (for "no data yet") and since when each circuit has been open (the earliest time seen).
 */
import { Effect, Option } from "effect"
import {
  activeSources,
  AnalyticsStore,
  CircuitBreaker,
  CircuitBreakerPolicy,
  headlineFetchedAtMs,
  RefreshScheduler,
  SnapshotStore
} from "@guildpulse/core"
import type { AlertRules, Profile, Snapshot, UpstreamSource } from "@guildpulse/core"
import { freshnessNow } from "../Health.js"
import { circuitOpen, MINUTE_MS, presenceDrop, refreshDeadLettered, staleData, tokenExpiring } from "./alertRules.js"
import type { Condition } from "./alertRules.js"

type RuleId = AlertRules.RuleId
type RuleSet = AlertRules.RuleSet

export interface ProfileInputs {
  readonly snapshots: SnapshotStore.SnapshotStore["Type"]
  readonly analytics: AnalyticsStore.AnalyticsStore["Type"]
  readonly breaker: CircuitBreaker.CircuitBreaker["Type"]
  /** The presence-drop baseline frozen by a firing incident, if any. */
  readonly frozenBaseline: (profile: string) => number | undefined
}

export const makeProfileConditions = (inputs: ProfileInputs) => {
  const circuitSince = new Map<string, number>()
  const firstSeen = new Map<string, number>()

  const circuits = (profile: Profile, nowMs: number) =>
    Effect.forEach(activeSources(profile), (source: UpstreamSource) =>
      Effect.gen(function* () {
        const state = yield* inputs.breaker.state(profile.key, source)
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

  /** Each profile rule's condition for `profile` now, in rule order. */
  return (
    profile: Profile,
    rules: RuleSet,
    nowMs: number,
    schedulerStatus: RefreshScheduler.SchedulerStatus
  ): Effect.Effect<ReadonlyArray<{ readonly rule: RuleId; readonly condition: Condition }>> =>
    Effect.gen(function* () {
      if (!firstSeen.has(profile.key)) firstSeen.set(profile.key, nowMs)
      const snapshot = Option.getOrUndefined(yield* Effect.orElseSucceed(inputs.snapshots.get(profile.key), () => Option.none<Snapshot>()))
      const own = snapshot !== undefined && snapshot.guildId === profile.guildId ? snapshot : undefined
      const freshness = freshnessNow(profile, own, nowMs)

      const current = freshness.state === "fresh" || freshness.state === "stale" ? own?.fields.online : undefined
      const samples = rules.presence_drop.enabled && current !== undefined
        ? yield* Effect.orElseSucceed(
            inputs.analytics.query({ profile: profile.key, fromMs: nowMs - rules.presence_drop.baselineMinutes * MINUTE_MS, toMs: nowMs }),
            () => []
          )
        : []
      const job = schedulerStatus.jobs.find((j) => j.profile === profile.key)

      return [
        {
          rule: "presence_drop",
          condition: presenceDrop({
            rule: rules.presence_drop,
            current,
            baselineSamples: samples.flatMap((s) => (s.online !== undefined && s.state !== "demo" ? [s.online] : [])),
            frozenBaseline: inputs.frozenBaseline(profile.key)
          })
        },
        {
          rule: "stale_data",
          condition: staleData({
            rule: rules.stale_data,
            nowMs,
            fetchedAtMs: own === undefined ? undefined : headlineFetchedAtMs(own),
            waitingSinceMs: firstSeen.get(profile.key)!
          })
        },
        { rule: "circuit_open", condition: circuitOpen({ rule: rules.circuit_open, nowMs, circuits: yield* circuits(profile, nowMs) }) },
        { rule: "token_expiring", condition: tokenExpiring({ rule: rules.token_expiring, profile, nowMs }) },
        {
          rule: "refresh_dead_lettered",
          condition: refreshDeadLettered({
            deadLettered: schedulerStatus.deadLetters.includes(profile.key),
            consecutiveFailures: job?.consecutiveFailures ?? own?.consecutiveFailures ?? 0,
            reasons: own?.reasons ?? []
          })
        }
      ]
    })
}
