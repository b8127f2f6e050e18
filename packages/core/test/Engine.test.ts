import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { DemoSource, Engine, Profiles, RateLimitStore, Stats, StatsSource } from "../src/index.js"

/** A source that spends the engine's rate-limit budget before answering. */
const SharingSource = Layer.effect(
  StatsSource.StatsSource,
  Effect.gen(function* () {
    const store = yield* RateLimitStore.RateLimitStore
    return StatsSource.StatsSource.of({
      fetch: (request) =>
        Effect.as(Effect.orDie(store.acquire({ bucketKey: `b:${request.source}`, globalKey: "engine-shared", globalLimit: 1, globalWindowMs: 60_000 })), {
          source: request.source,
          fetchedAtMs: 0,
          fields: { online: 1, members: 2 }
        })
    })
  })
)

const TestEngine = Engine.layerMemory({ scheduler: false }).pipe(Layer.provide(DemoSource.layer))

describe("Engine (memory, demo source)", () => {
  it.effect("creates a profile and serves its numbers end to end", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 10, 25, 12))
      const profiles = yield* Profiles.Profiles
      const stats = yield* Stats.Stats
      yield* profiles.create({ key: "main", label: "Main", guildId: "123456789012345678" })
      const view = yield* stats.get("main")
      assert.strictEqual(view.profile, "main")
      assert.strictEqual(view.freshness.state, "demo")
      assert.isNumber(view.counts.online)
      assert.strictEqual(view.provenance["online"]?.source, "demo")
    }).pipe(Effect.provide(TestEngine)))
})

describe("Engine.layerMemoryWith", () => {
  it.effect("hands the engine's own stores to a source that needs them", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 10, 25, 12))
      const profiles = yield* Profiles.Profiles
      yield* profiles.create({ key: "main", label: "Main", guildId: "123456789012345678" })
      yield* (yield* Stats.Stats).get("main")
      // The source acquired from the engine's RateLimitStore: the same store now sees a spent global window.
      const store = yield* RateLimitStore.RateLimitStore
      const next = yield* store.acquire({ bucketKey: "b", globalKey: "engine-shared", globalLimit: 1, globalWindowMs: 60_000 })
      assert.strictEqual(next._tag, "Wait")
    }).pipe(Effect.provide(Engine.layerMemoryWith(SharingSource, { scheduler: false }))))
})
