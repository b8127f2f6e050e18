import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { DemoSource, Engine, Profiles, Stats } from "../src/index.js"

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
