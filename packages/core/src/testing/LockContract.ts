/** The behaviour every `Lock` shares: exclusive leases that expire, fencing, owner-only release/extend. */
import { assert, describe } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Lock } from "../index.js"
import { timeOf, type ContractClock } from "./ContractClock.js"

export const describeLockContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<Lock.Lock, unknown>, clock: ContractClock) =>
  describe(`Lock contract: ${name}`, () => {
    const { test, pass } = timeOf(clock)
    let seq = 0
    const fresh = () => makeLayer(`lock${++seq}`)

    test("is exclusive until released by its owner; others cannot release or extend it", () =>
      Effect.gen(function* () {
        const lock = yield* Lock.Lock
        const lease = Option.getOrThrow(yield* lock.acquire("k", 5000))
        assert.isTrue(Option.isNone(yield* lock.acquire("k", 5000)))
        const impostor = { ...lease, token: "not-the-owner" }
        assert.isFalse(yield* lock.release(impostor))
        assert.isTrue(Option.isNone(yield* lock.extend(impostor, 5000)))
        assert.isTrue(Option.isNone(yield* lock.acquire("k", 5000)), "still held")
        assert.isTrue(Option.isSome(yield* lock.acquire("other", 5000)), "keys are independent")
        assert.isTrue(yield* lock.release(lease))
        assert.isFalse(yield* lock.release(lease), "released once")
        const again = Option.getOrThrow(yield* lock.acquire("k", 5000))
        assert.isAbove(again.fencing, lease.fencing)
      }).pipe(Effect.provide(fresh())))

    test("expires by itself; the expired owner can neither release nor extend the next lease", () =>
      Effect.gen(function* () {
        const lock = yield* Lock.Lock
        const first = Option.getOrThrow(yield* lock.acquire("k", 150))
        yield* pass(250)
        const second = Option.getOrThrow(yield* lock.acquire("k", 5000))
        assert.isAbove(second.fencing, first.fencing, "fencing increases with every grant")
        assert.isFalse(yield* lock.release(first))
        assert.isTrue(Option.isNone(yield* lock.extend(first, 5000)))
        assert.isTrue(Option.isNone(yield* lock.acquire("k", 5000)))
      }).pipe(Effect.provide(fresh())))

    test("extends the owner's lease past its first expiry", () =>
      Effect.gen(function* () {
        const lock = yield* Lock.Lock
        const lease = Option.getOrThrow(yield* lock.acquire("k", 1000))
        yield* pass(100)
        const extended = Option.getOrThrow(yield* lock.extend(lease, 5000))
        assert.strictEqual(extended.fencing, lease.fencing)
        assert.isAbove(extended.expiresAtMs, lease.expiresAtMs)
        yield* pass(1050)
        assert.isTrue(Option.isNone(yield* lock.acquire("k", 300)), "extended, so still held")
        assert.isTrue(yield* lock.release(extended))
      }).pipe(Effect.provide(fresh())))

    test("grants one lease to concurrent callers", () =>
      Effect.gen(function* () {
        const lock = yield* Lock.Lock
        const results = yield* Effect.forEach(Array.from({ length: 25 }), () => lock.acquire("hot", 5000), { concurrency: "unbounded" })
        assert.strictEqual(results.filter(Option.isSome).length, 1)
      }).pipe(Effect.provide(fresh())))
  })
