/**
 * Port: circuit-breaker state per (profile, source), shared by every instance when the store is shared.
 * `modify` is atomic: implementations serialise concurrent modifications of one key.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { CircuitState } from "./CircuitBreakerPolicy.js"
import type { StoreError } from "./Errors.js"
import type { UpstreamSource } from "./GuildStats.js"
import type { ProfileKey } from "./Identifiers.js"

/** A circuit's key in the store: `<profile>:<source>` (`CircuitBreaker.storeKey` builds it). */
export type CircuitStoreKey = `${ProfileKey}:${UpstreamSource}`

/** The prefix `delete` takes: every circuit of one profile (`<profile>:`). */
export type CircuitStorePrefix = `${ProfileKey}:`

export class CircuitStore extends Context.Tag("@guildpulse/core/CircuitStore")<
  CircuitStore,
  {
    readonly get: (key: CircuitStoreKey) => Effect.Effect<Option.Option<CircuitState>, StoreError>
    /** Atomically replaces the state with `f(current)`, returning the value `f` computed. */
    readonly modify: <A>(
      key: CircuitStoreKey,
      f: (current: Option.Option<CircuitState>) => readonly [A, CircuitState]
    ) => Effect.Effect<A, StoreError>
    readonly delete: (keyPrefix: CircuitStorePrefix) => Effect.Effect<void, StoreError>
  }
>() {}

/** Where an in-process store keeps the states (a persistent store passes a map that writes behind). */
export interface CircuitStateMap {
  readonly get: (key: string) => CircuitState | undefined
  readonly set: (key: string, state: CircuitState) => void
  readonly delete: (key: string) => void
  readonly keys: () => Iterable<string>
}

/** Circuit states of one process: the memory layer, and the embedded store (one process owns its file). */
export const makeInProcess = (states: CircuitStateMap = new Map<string, CircuitState>()): CircuitStore["Type"] =>
  CircuitStore.of({
    get: (key) => Effect.sync(() => Option.fromNullable(states.get(key))),
    // JavaScript runs this synchronously, so the read-modify-write cannot interleave.
    modify: (key, f) =>
      Effect.sync(() => {
        const [result, next] = f(Option.fromNullable(states.get(key)))
        states.set(key, next)
        return result
      }),
    delete: (keyPrefix) =>
      Effect.sync(() => {
        for (const key of [...states.keys()]) if (key.startsWith(keyPrefix)) states.delete(key)
      })
  })

export const makeMemory: Effect.Effect<CircuitStore["Type"]> = Effect.sync(() => makeInProcess())

export const layerMemory: Layer.Layer<CircuitStore> = Layer.effect(CircuitStore, makeMemory)
