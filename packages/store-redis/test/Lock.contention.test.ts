/**
 * The lease under contention: three instances (three Redis connections) × ten fibers hammer one key. At most one
 * holder at any time, fencing tokens strictly increasing in grant order, and a paused owner whose lease expired
 * is fenced off by the resource it protects.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import { Lock } from "@guildpulse/core"
import { RedisConnection, RedisLock } from "../src/index.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"

const server = useRedisServer()
const instance = (prefix: string) =>
  Effect.flatMap(Layer.build(RedisLock.layer.pipe(Layer.provide(RedisConnection.layer({ url: server().url, prefix })))), (ctx) =>
    Effect.provide(Lock.Lock, ctx)
  )

describe("Lock (Redis) under contention", () => {
  it.scopedLive("one holder at a time across instances, fencing strictly increasing", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("contention")
      const locks = [yield* instance(prefix), yield* instance(prefix), yield* instance(prefix)]
      let holder: string | undefined
      let overlaps = 0
      const grants: Array<number> = []
      const deadline = Date.now() + 1500
      const contender = (lock: Lock.Lock["Type"], name: string) =>
        Effect.gen(function* () {
          while (Date.now() < deadline) {
            const lease = yield* lock.acquire("critical", 2000)
            if (Option.isNone(lease)) {
              yield* Effect.sleep(Duration.millis(1))
              continue
            }
            if (holder !== undefined) overlaps += 1
            holder = name
            grants.push(lease.value.fencing)
            yield* Effect.sleep(Duration.millis(3))
            holder = undefined
            assert.isTrue(yield* lock.release(lease.value))
          }
        })
      yield* Effect.forEach(
        locks.flatMap((lock, i) => Array.from({ length: 10 }, (_, j) => contender(lock, `${i}/${j}`))),
        (fiber) => fiber,
        { concurrency: "unbounded", discard: true }
      )
      assert.strictEqual(overlaps, 0)
      assert.isAbove(grants.length, 30, "the lock changed hands many times")
      for (let i = 1; i < grants.length; i++) assert.isAbove(grants[i]!, grants[i - 1]!, "fencing increases with every grant")
    }), 30_000)

  it.scopedLive("an owner paused past its lease is refused by the fenced resource and cannot release", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("fencing")
      const [a, b] = [yield* instance(prefix), yield* instance(prefix)]
      // The protected resource keeps the highest fencing token it has seen and refuses older writers.
      let highest = 0
      const write = (fencing: number) => (fencing >= highest ? ((highest = fencing), true) : false)

      const leaseA = Option.getOrThrow(yield* a.acquire("resource", 150))
      assert.isTrue(write(leaseA.fencing))
      yield* Effect.sleep(Duration.millis(250)) // A stalls (GC pause, slow upstream) and its lease lapses
      const leaseB = Option.getOrThrow(yield* b.acquire("resource", 5000))
      assert.isTrue(write(leaseB.fencing))
      assert.isFalse(write(leaseA.fencing), "A's late write is refused by its fencing token")
      assert.isFalse(yield* a.release(leaseA), "A cannot release B's lease")
      assert.isTrue(Option.isNone(yield* a.extend(leaseA, 5000)), "nor extend it")
      assert.isTrue(Option.isNone(yield* a.acquire("resource", 5000)), "B still holds it")
      assert.isTrue(yield* b.release(leaseB))
    }))
})
