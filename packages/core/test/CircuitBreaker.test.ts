import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { CircuitBreaker, CircuitStore, EventLog, UpstreamError } from "../src/index.js"
import { profileKey } from "./fixtures.js"

const TestLayers = CircuitBreaker.layer().pipe(Layer.provideMerge(Layer.merge(CircuitStore.layerMemory, EventLog.layerMemory())))
const key = { profile: profileKey("main"), source: "bot" as const, profileVersion: 1 }
const failure = (reason: UpstreamError["reason"], retryAfterMs?: number) =>
  ({ _tag: "Failure", error: new UpstreamError({ source: "bot", reason, message: reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }) }) as const

describe("CircuitBreaker service", () => {
  it.effect("a 429 opens the circuit for exactly the announced wait", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.CircuitBreaker
      yield* breaker.record(key, failure("rate_limited", 2500))
      assert.strictEqual((yield* breaker.state(profileKey("main"), "bot"))._tag, "Throttled")
      const refused = yield* Effect.flip(breaker.admit(key))
      assert.strictEqual(refused.state, "throttled")
      assert.strictEqual(refused.retryAfterMs, 2500)
      yield* TestClock.adjust("2499 millis")
      assert.strictEqual((yield* breaker.state(profileKey("main"), "bot"))._tag, "Throttled")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* breaker.state(profileKey("main"), "bot"))._tag, "Closed")
      yield* breaker.admit(key)
    }).pipe(Effect.provide(TestLayers)))

  it.effect("every transition is an event; concurrent callers during half-open get CircuitOpen at once", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.CircuitBreaker
      const events = yield* EventLog.EventLog
      for (let i = 0; i < 5; i++) yield* breaker.record(key, failure("server_error"))
      assert.strictEqual((yield* breaker.state(profileKey("main"), "bot"))._tag, "Open")
      yield* TestClock.adjust("36 seconds") // beyond 30 s + 20 % jitter
      const admissions = yield* Effect.all(Array.from({ length: 10 }, () => Effect.either(breaker.admit(key))), { concurrency: "unbounded" })
      assert.strictEqual(admissions.filter((a) => a._tag === "Right").length, 1)
      yield* breaker.record(key, { _tag: "Success" })
      const page = yield* events.query({ type: "circuit.transition" })
      const transitions = page.events.map((e) => `${e.circuit?.from}->${e.circuit?.to}`).reverse()
      assert.deepStrictEqual(transitions, ["closed->open", "open->half_open", "half_open->closed"])
    }).pipe(Effect.provide(TestLayers)))

  it.effect("protect() records the outcome of the call", () =>
    Effect.gen(function* () {
      const breaker = yield* CircuitBreaker.CircuitBreaker
      const boom = Effect.fail(new UpstreamError({ source: "bot", reason: "unauthorized", status: 401, message: "401" }))
      yield* Effect.either(breaker.protect(key, boom))
      assert.strictEqual((yield* breaker.state(profileKey("main"), "bot"))._tag, "Misconfigured")
      const refused = yield* Effect.either(breaker.protect(key, Effect.succeed(1)))
      assert.strictEqual(refused._tag, "Left")
      // The profile changed (version 2): probed at once, and a success closes it.
      const probed = yield* breaker.protect({ ...key, profileVersion: 2 }, Effect.succeed(42))
      assert.strictEqual(probed, 42)
      assert.strictEqual((yield* breaker.state(profileKey("main"), "bot"))._tag, "Closed")
    }).pipe(Effect.provide(TestLayers)))
})
