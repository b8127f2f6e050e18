import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, FastCheck, Ref, TestClock } from "effect"
import { RetryPolicy, UpstreamError } from "../src/index.js"

const error = (reason: UpstreamError["reason"], retryAfterMs?: number) =>
  new UpstreamError({ source: "widget", reason, message: reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })

const countedFailure = (count: Ref.Ref<number>, failure: UpstreamError): Effect.Effect<never, UpstreamError> =>
  Effect.zipRight(Ref.update(count, (n) => n + 1), Effect.fail(failure))

describe("RetryPolicy", () => {
  it("retries only transient failures", () => {
    for (const reason of ["server_error", "timeout", "transport"] as const) assert.isTrue(RetryPolicy.isRetryable(error(reason)))
    for (const reason of ["unauthorized", "forbidden", "not_found", "widget_disabled", "unknown_guild", "unknown_invite", "decode"] as const) {
      assert.isFalse(RetryPolicy.isRetryable(error(reason)), reason)
    }
    assert.isTrue(RetryPolicy.isRetryable(error("rate_limited", 2000)))
    assert.isFalse(RetryPolicy.isRetryable(error("rate_limited", 2001)), "longer waits are left to the scheduler")
  })

  it.prop(
    "never undercuts retryAfter and never exceeds max(cap, retryAfter)",
    [FastCheck.integer({ min: 0, max: 5 }), FastCheck.integer({ min: 0, max: 2000 }), FastCheck.double({ min: 0, max: 0.999999, noNaN: true })],
    ([retry, retryAfterMs, random]) => {
      const delay = RetryPolicy.retryDelayMs(retry, error("rate_limited", retryAfterMs), random)
      assert.isAtLeast(delay, retryAfterMs)
      assert.isAtMost(delay, Math.max(4000, retryAfterMs))
    }
  )

  it("full jitter spans 0 up to the exponential ceiling", () => {
    assert.strictEqual(RetryPolicy.retryDelayMs(0, error("server_error"), 0), 0)
    assert.strictEqual(RetryPolicy.retryDelayMs(0, error("server_error"), 0.999999), 249)
    assert.strictEqual(RetryPolicy.retryDelayMs(1, error("server_error"), 0.999999), 499)
    assert.strictEqual(RetryPolicy.retryDelayMs(9, error("server_error"), 0.999999), 3999, "capped at 4 s")
  })

  it.effect("makes at most 2 retries, waiting at least the announced retry-after", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make<Array<number>>([])
      const call = Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (now) =>
        Effect.zipRight(Ref.update(attempts, (a) => [...a, now]), Effect.fail(error("rate_limited", 1500)))
      )
      const fiber = yield* Effect.fork(Effect.either(Effect.retry(call, RetryPolicy.schedule())))
      yield* TestClock.adjust("1499 millis")
      assert.strictEqual((yield* Ref.get(attempts)).length, 1, "no retry before retry-after")
      yield* TestClock.adjust("10 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result._tag, "Left")
      const times = yield* Ref.get(attempts)
      assert.strictEqual(times.length, 3)
      assert.isAtLeast(times[1]! - times[0]!, 1500)
      assert.isAtLeast(times[2]! - times[1]!, 1500)
    }))

  it.effect("does not retry a non-transient failure", () =>
    Effect.gen(function* () {
      const count = yield* Ref.make(0)
      yield* Effect.either(Effect.retry(countedFailure(count, error("unauthorized")), RetryPolicy.schedule()))
      assert.strictEqual(yield* Ref.get(count), 1)
    }))

  it.effect("does not wait inside the request path for a retry-after above 2 s", () =>
    Effect.gen(function* () {
      const count = yield* Ref.make(0)
      yield* Effect.either(Effect.retry(countedFailure(count, error("rate_limited", 5000)), RetryPolicy.schedule()))
      assert.strictEqual(yield* Ref.get(count), 1)
    }))
})
