/**
 * The lease under contention: three instances (three Redis connections) × ten fibers hammer one key. At most one
 * holder at any time, fencing tokens strictly increasing in grant order, and a paused owner whose lease expired
 * is fenced off by the resource it protects.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import { Lock } from "@guildpulse/core"
import { Redis } from "ioredis"
import { RedisConnection, RedisLock } from "../src/index.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"
import { waitFor } from "./harness/waitFor.js"

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
      // Until the lock has changed hands 60 times, however long a busy machine takes for that.
      const GRANTS = 60
      const contender = (lock: Lock.Lock["Type"], name: string) =>
        Effect.gen(function* () {
          while (grants.length < GRANTS) {
            const lease = yield* lock.acquire("critical", 10_000)
            if (Option.isNone(lease)) {
              yield* Effect.yieldNow()
              continue
            }
            if (holder !== undefined) overlaps += 1
            holder = name
            grants.push(lease.value.fencing)
            // Hold it across real I/O (not just a synchronous step), so an overlapping grant would be seen.
            yield* Effect.sleep(Duration.millis(1))
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
      assert.isAtLeast(grants.length, GRANTS, "the lock changed hands many times")
      for (let i = 1; i < grants.length; i++) assert.isAbove(grants[i]!, grants[i - 1]!, "fencing increases with every grant")
    }), 30_000)

  it.scopedLive("an owner paused past its lease is refused by the fenced resource and cannot release", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("fencing")
      const [a, b] = [yield* instance(prefix), yield* instance(prefix)]
      // The protected resource keeps the highest fencing token it has seen and refuses older writers.
      let highest = 0
      const write = (fencing: number) => (fencing >= highest ? ((highest = fencing), true) : false)

      const leaseA = Option.getOrThrow(yield* a.acquire("resource", 100))
      assert.isTrue(write(leaseA.fencing))
      // A stalls (GC pause, slow upstream) and its lease lapses in Redis: B gets it as soon as it has.
      let leaseB: Lock.Lease | undefined
      yield* waitFor(
        "A's lease to lapse",
        Effect.map(b.acquire("resource", 10_000), (lease) => ((leaseB = Option.getOrUndefined(lease)), leaseB !== undefined))
      )
      if (leaseB === undefined) return assert.fail("no lease for B")
      assert.isTrue(write(leaseB.fencing))
      assert.isFalse(write(leaseA.fencing), "A's late write is refused by its fencing token")
      assert.isFalse(yield* a.release(leaseA), "A cannot release B's lease")
      assert.isTrue(Option.isNone(yield* a.extend(leaseA, 5000)), "nor extend it")
      assert.isTrue(Option.isNone(yield* a.acquire("resource", 5000)), "B still holds it")
      assert.isTrue(yield* b.release(leaseB))
    }))

  it.scopedLive("an acquisition whose answer comes after the command timeout is asked again: one holder, no in-process lease", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("slow")
      // A busy process reads Redis's answers late: here Redis itself answers late (paused), past A's timeout.
      const a = yield* Effect.flatMap(
        Layer.build(RedisLock.layer.pipe(Layer.provide(RedisConnection.layer({ url: server().url, prefix, commandTimeoutMs: 100 })))),
        (ctx) => Effect.provide(Lock.Lock, ctx)
      )
      const b = yield* instance(prefix)
      const admin = new Redis(server().url)
      yield* Effect.addFinalizer(() => Effect.sync(() => admin.disconnect()))
      yield* Effect.promise(() => admin.call("CLIENT", "PAUSE", "250", "WRITE"))
      const leaseA = yield* a.acquire("slow", 10_000)
      assert.isTrue(Option.isSome(leaseA), "A gets the lease it asked for")
      // The lease is A's in Redis (not an in-process stand-in): B is refused, A's release frees it.
      assert.strictEqual(yield* Effect.promise(() => admin.get(`${prefix}lock:slow`)), Option.getOrThrow(leaseA).token)
      assert.isTrue(Option.isNone(yield* b.acquire("slow", 10_000)))
      assert.isTrue(yield* a.release(Option.getOrThrow(leaseA)))
      assert.isTrue(Option.isSome(yield* b.acquire("slow", 10_000)))
    }))
})
