/**
 * The circuit breaker service: the pure policy of `CircuitBreakerPolicy` over a `CircuitStore`, with every
 * transition emitted as an event and a metric.
 */
import { Clock, Context, Effect, Layer, Metric, Option, Random, Schema } from "effect"
import * as Policy from "./CircuitBreakerPolicy.js"
import type { CallOutcome, CircuitBreakerOptions, CircuitState, CircuitStateName } from "./CircuitBreakerPolicy.js"
import { CircuitStore, type CircuitStoreKey } from "./CircuitStore.js"
import * as CoreMetrics from "./CoreMetrics.js"
import { CircuitOpen, UpstreamReason, type UpstreamError } from "./Errors.js"
import { EventLog } from "./EventLog.js"
import type { UpstreamSource } from "./GuildStats.js"
import type { ProfileKey } from "./Identifiers.js"

export interface CircuitKey {
  readonly profile: ProfileKey
  readonly source: UpstreamSource
  /** The profile's version: a change re-probes a misconfigured circuit at once. */
  readonly profileVersion: number
}

export class CircuitBreaker extends Context.Tag("@guildpulse/core/CircuitBreaker")<
  CircuitBreaker,
  {
    /** Succeeds when a call may go out now (possibly as the single half-open probe). */
    readonly admit: (key: CircuitKey) => Effect.Effect<void, CircuitOpen>
    readonly record: (key: CircuitKey, outcome: CallOutcome) => Effect.Effect<void>
    /** Admit, run, record. */
    readonly protect: <A>(key: CircuitKey, call: Effect.Effect<A, UpstreamError>) => Effect.Effect<A, UpstreamError | CircuitOpen>
    /** The effective state now (an expired throttle reads as closed). */
    readonly state: (profile: ProfileKey, source: UpstreamSource) => Effect.Effect<CircuitState>
    readonly reset: (profile: ProfileKey) => Effect.Effect<void>
    /** When the source may next be called, and whether it is misconfigured (what the scheduler plans with). */
    readonly availability: (key: CircuitKey) => Effect.Effect<{ readonly misconfigured: boolean; readonly atMs: number }>
  }
>() {}

export const storeKey = (profile: ProfileKey, source: UpstreamSource): CircuitStoreKey => `${profile}:${source}`

const stateCode: Record<CircuitStateName, number> = { closed: 0, open: 1, half_open: 2, throttled: 3, misconfigured: 4 }

export const make = (options: CircuitBreakerOptions = Policy.defaultCircuitBreakerOptions) =>
  Effect.gen(function* () {
    const store = yield* CircuitStore
    const events = yield* EventLog

    const transition = (key: CircuitKey, from: CircuitState, to: CircuitState) => {
      const fromName = Policy.stateName(from)
      const toName = Policy.stateName(to)
      if (fromName === toName) return Effect.void
      return Effect.zipRight(
        Metric.set(Metric.tagged(Metric.tagged(CoreMetrics.circuitState, "profile", key.profile), "source", key.source), stateCode[toName]),
        events.emit({
          level: toName === "closed" ? "info" : "warn",
          type: "circuit.transition",
          profile: key.profile,
          source: key.source,
          circuit: { from: fromName, to: toName },
          ...(to._tag === "Open" ? { retryAfterMs: to.openUntilMs - to.openedAtMs } : {}),
          message: `circuit ${key.profile}/${key.source}: ${fromName} → ${toName}`
        })
      )
    }

    const current = (state: Option.Option<CircuitState>) => Option.getOrElse(state, () => Policy.initialState(options))

    const admit = (key: CircuitKey): Effect.Effect<void, CircuitOpen> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const [from, admission] = yield* store.modify(storeKey(key.profile, key.source), (stored) => {
          const from = current(stored)
          const admission = Policy.admit(from, now, key.profileVersion, options)
          return [[from, admission] as const, admission.state]
        })
        yield* transition(key, from, admission.state)
        if (!admission.admitted) {
          const cause = Policy.rootCause(admission.state)
          return yield* new CircuitOpen({
            profile: key.profile,
            source: key.source,
            state: Policy.stateName(admission.state) as CircuitOpen["state"],
            retryAfterMs: admission.retryAfterMs,
            ...(cause !== undefined && Schema.is(UpstreamReason)(cause) ? { reason: cause } : {})
          })
        }
      }).pipe(
        // A broken circuit store must not take the data path down with it: fail open.
        Effect.catchTag("StoreError", () => Effect.void)
      )

    const record = (key: CircuitKey, outcome: CallOutcome): Effect.Effect<void> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const random01 = yield* Random.next
        const [from, to] = yield* store.modify(storeKey(key.profile, key.source), (stored) => {
          const from = current(stored)
          const to = Policy.record(from, outcome, now, random01, key.profileVersion, options)
          return [[from, to] as const, to]
        })
        yield* transition(key, from, to)
      }).pipe(Effect.catchTag("StoreError", () => Effect.void))

    const state = (profile: ProfileKey, source: UpstreamSource): Effect.Effect<CircuitState> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const stored = current(yield* store.get(storeKey(profile, source)))
        return stored._tag === "Throttled" && now >= stored.untilMs ? Policy.initialState(options) : stored
      }).pipe(Effect.catchTag("StoreError", () => Effect.succeed(Policy.initialState(options))))

    return CircuitBreaker.of({
      admit,
      record,
      protect: (key, call) =>
        Effect.zipRight(
          admit(key),
          call.pipe(
            Effect.tapBoth({
              onFailure: (error) => record(key, { _tag: "Failure", error }),
              onSuccess: () => record(key, { _tag: "Success" })
            })
          )
        ),
      state,
      availability: (key) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          return Policy.availability(yield* state(key.profile, key.source), now, key.profileVersion, options)
        }),
      reset: (profile) => store.delete(`${profile}:`).pipe(Effect.catchTag("StoreError", () => Effect.void))
    })
  })

export const layer = (options?: CircuitBreakerOptions): Layer.Layer<CircuitBreaker, never, CircuitStore | EventLog> =>
  Layer.effect(CircuitBreaker, make(options))
