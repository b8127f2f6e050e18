/** The behaviour every `CircuitStore` shares: `modify` is atomic per key, `delete` goes by prefix. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { CircuitBreaker, CircuitBreakerPolicy, CircuitStore } from "../index.js"
import { profileKey } from "./fixtures.js"

const failuresOf = (state: Option.Option<CircuitBreakerPolicy.CircuitState>) =>
  Option.match(state, { onNone: () => 0, onSome: (s) => (s._tag === "Closed" ? s.consecutiveFailures : -1) })

const main = profileKey("main")
const circuit = (profile: string, source: "bot" | "widget") => CircuitBreaker.storeKey(profileKey(profile), source)

const bump = (state: Option.Option<CircuitBreakerPolicy.CircuitState>) => {
  const current = Option.getOrElse(state, () => CircuitBreakerPolicy.initialState())
  if (current._tag !== "Closed") return [-1, current] as const
  const next = { ...current, consecutiveFailures: current.consecutiveFailures + 1, window: [...current.window, true].slice(-20) }
  return [next.consecutiveFailures, next] as const
}

export const describeCircuitStoreContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<CircuitStore.CircuitStore, unknown>) =>
  describe(`CircuitStore contract: ${name}`, () => {
    let seq = 0
    const fresh = () => makeLayer(`circ${++seq}`)

    it.live("stores what modify computes and returns its value", () =>
      Effect.gen(function* () {
        const store = yield* CircuitStore.CircuitStore
        assert.isTrue(Option.isNone(yield* store.get(circuit("main", "bot"))))
        const open: CircuitBreakerPolicy.CircuitState = { _tag: "Open", openedAtMs: 1, openUntilMs: 30_001, intervalMs: 30_000, reason: "server_error" }
        const result = yield* store.modify(circuit("main", "bot"), (current) => [Option.isNone(current) ? "was-empty" : "had-state", open] as const)
        assert.strictEqual(result, "was-empty")
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(circuit("main", "bot"))), open)
        const again = yield* store.modify(circuit("main", "bot"), (current) => [Option.map(current, (s) => s._tag), current.pipe(Option.getOrThrow)] as const)
        assert.deepStrictEqual(again, Option.some("Open"))
      }).pipe(Effect.provide(fresh())))

    it.live("never loses a concurrent modification of one key", () =>
      Effect.gen(function* () {
        const store = yield* CircuitStore.CircuitStore
        const n = 40
        const seen = yield* Effect.forEach(Array.from({ length: n }), () => store.modify(circuit("main", "widget"), bump), { concurrency: "unbounded" })
        assert.strictEqual(failuresOf(yield* store.get(circuit("main", "widget"))), n)
        assert.deepStrictEqual([...seen].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1), "each caller saw a distinct state")
      }).pipe(Effect.provide(fresh())))

    it.live("deletes by key prefix only", () =>
      Effect.gen(function* () {
        const store = yield* CircuitStore.CircuitStore
        for (const key of [circuit("main", "bot"), circuit("main", "widget"), circuit("mainx", "bot"), circuit("other", "bot")]) yield* store.modify(key, bump)
        yield* store.delete(`${main}:`)
        assert.isTrue(Option.isNone(yield* store.get(circuit("main", "bot"))))
        assert.isTrue(Option.isNone(yield* store.get(circuit("main", "widget"))))
        assert.strictEqual(failuresOf(yield* store.get(circuit("mainx", "bot"))), 1)
        assert.strictEqual(failuresOf(yield* store.get(circuit("other", "bot"))), 1)
      }).pipe(Effect.provide(fresh())))
  })
