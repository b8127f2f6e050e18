/** The behaviour every `AuditLog` shares. */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, TestClock, TestContext } from "effect"
import { AuditLog, ProfileKey } from "../index.js"

const main = ProfileKey.make("main")
const S = 1_000

/** One turn of the event loop (forked fibers and I/O progress); not a timed wait. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Re-runs `check` (a turn of the event loop in between) until it holds; fails after `tries`. */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, what: string, tries = 100_000): Effect.Effect<void, E, R> =>
  Effect.gen(function* () {
    for (let i = 0; i < tries; i++) {
      if (yield* check) return
      yield* turn
    }
    return yield* Effect.dieMessage(`not reached: ${what}`)
  })
const other = ProfileKey.make("other")

export const describeAuditLogContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<AuditLog.AuditLog, unknown>) =>
  describe(`AuditLog contract: ${name}`, () => {
    it.live("appends with increasing ids; queries newest first with filters and pages with a cursor", () =>
      Effect.gen(function* () {
        const log = yield* AuditLog.AuditLog
        const first = yield* log.append({
          atMs: 1_000,
          keyId: "admin",
          action: "profile.create",
          profile: main,
          ip: "203.0.113.7",
          after: { label: "Main", refresh: { ttlSeconds: 60 } }
        })
        yield* log.append({ atMs: 2_000, keyId: "ci", action: "profile.update", profile: main, before: { label: "Main" }, after: { label: "New" } })
        yield* log.append({ atMs: 3_000, keyId: "admin", action: "token.set", profile: other })
        yield* log.append({ atMs: 4_000, keyId: "admin", action: "key.revoke" })
        assert.deepStrictEqual(first, {
          id: first.id,
          atMs: 1_000,
          keyId: "admin",
          action: "profile.create",
          profile: main,
          ip: "203.0.113.7",
          after: { label: "Main", refresh: { ttlSeconds: 60 } }
        })

        const all = yield* log.query({})
        assert.deepStrictEqual(all.entries.map((e) => e.atMs), [4_000, 3_000, 2_000, 1_000])
        assert.isTrue(Option.isNone(all.nextCursor))
        assert.deepStrictEqual((yield* log.query({ keyId: "admin" })).entries.map((e) => e.action), ["key.revoke", "token.set", "profile.create"])
        assert.deepStrictEqual((yield* log.query({ action: "profile" })).entries.map((e) => e.action), ["profile.update", "profile.create"])
        assert.deepStrictEqual((yield* log.query({ profile: main, sinceMs: 1_500 })).entries.map((e) => e.atMs), [2_000])
        assert.deepStrictEqual((yield* log.query({ untilMs: 2_000 })).entries.map((e) => e.atMs), [2_000, 1_000])

        const page1 = yield* log.query({ limit: 3 })
        assert.deepStrictEqual(page1.entries.map((e) => e.atMs), [4_000, 3_000, 2_000])
        const page2 = yield* log.query({ limit: 3, cursor: Option.getOrThrow(page1.nextCursor) })
        assert.deepStrictEqual(page2.entries.map((e) => e.atMs), [1_000])
        assert.isTrue(Option.isNone(page2.nextCursor))
      }).pipe(Effect.provide(makeLayer("query"))))

    it.live("prune drops entries older than the cut and says how many went", () =>
      Effect.gen(function* () {
        const log = yield* AuditLog.AuditLog
        for (const atMs of [1_000, 2_000, 3_000]) yield* log.append({ atMs, keyId: "admin", action: "profile.update", profile: main })
        assert.strictEqual(yield* log.prune(2_500), 2)
        assert.deepStrictEqual((yield* log.query({})).entries.map((e) => e.atMs), [3_000])
      }).pipe(Effect.provide(makeLayer("prune"))))

    it.live("retention by age (TestClock): older entries go when it starts and at every run, newer ones stay", () =>
      // The store is built on the live clock (a server connection needs real time); retention runs on the TestClock.
      Effect.gen(function* () {
        const log = yield* AuditLog.AuditLog
        yield* Effect.gen(function* () {
          yield* TestClock.setTime(20 * S)
          for (const at of [5, 12, 19]) yield* log.append({ atMs: at * S, keyId: "admin", action: "profile.update", profile: main })
          const seconds = Effect.map(log.query({}), (page) => page.entries.map((e) => e.atMs / S))
          yield* Effect.scoped(
            Effect.gen(function* () {
              yield* AuditLog.retain({ maxAgeMs: 10 * S, everyMs: S })
              // At start (t=20 s, cut at 10 s): the 5 s entry goes.
              yield* eventually(Effect.map(seconds, (d) => d.length === 2), "the first run")
              assert.deepStrictEqual(yield* seconds, [19, 12])
              // Two runs later (t=22 s, cut at 12 s): the 12 s entry is exactly at the cut and stays.
              yield* TestClock.adjust(Duration.millis(2 * S))
              assert.deepStrictEqual(yield* seconds, [19, 12])
              // t=23 s (cut at 13 s): it goes.
              yield* TestClock.adjust(Duration.millis(S))
              yield* eventually(Effect.map(seconds, (d) => d.length === 1), "the run at 23 s")
              assert.deepStrictEqual(yield* seconds, [19])
            })
          )
          // Retention stops with its scope.
          yield* log.append({ atMs: 1 * S, keyId: "admin", action: "profile.update", profile: main })
          yield* TestClock.adjust(Duration.millis(3 * S))
          assert.deepStrictEqual(yield* seconds, [1, 19])
        }).pipe(Effect.provide(TestContext.TestContext))
      }).pipe(Effect.provide(makeLayer("retention"))))
  })
