/** The behaviour every `AnalyticsStore` shares. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AnalyticsStore, ProfileKey } from "../index.js"

const main = ProfileKey.make("main")
const other = ProfileKey.make("other")
const sample = (profile: ProfileKey, atMs: number, online?: number): AnalyticsStore.Sample => ({
  profile,
  atMs,
  state: online === undefined ? "unavailable" : "fresh",
  ...(online !== undefined ? { online, members: online * 10 } : {})
})

export const describeAnalyticsStoreContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<AnalyticsStore.AnalyticsStore, unknown>) =>
  describe(`AnalyticsStore contract: ${name}`, () => {
    it.effect("answers the samples of one profile in [from, to), oldest first, whatever the order they came in", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        for (const at of [3000, 1000, 2000, 4000]) yield* store.record(sample(main, at, at / 100))
        yield* store.record(sample(other, 2500, 1))
        yield* store.record(sample(main, 2500))
        const got = yield* store.query({ profile: main, fromMs: 1000, toMs: 4000 })
        assert.deepStrictEqual(got.map((s) => s.atMs), [1000, 2000, 2500, 3000])
        assert.deepStrictEqual(got[0], sample(main, 1000, 10))
        assert.deepStrictEqual(got[2], sample(main, 2500), "a sample without numbers keeps none")
        assert.deepStrictEqual(yield* store.query({ profile: ProfileKey.make("nobody"), fromMs: 0, toMs: 10_000 }), [])
      }).pipe(Effect.provide(makeLayer("query"))))

    it.effect("prune drops what is older than the cut for every profile and says how many went; delete drops one series", () =>
      Effect.gen(function* () {
        const store = yield* AnalyticsStore.AnalyticsStore
        for (const at of [1000, 2000, 3000]) yield* store.record(sample(main, at, 5))
        for (const at of [1500, 3500]) yield* store.record(sample(other, at, 5))
        assert.strictEqual(yield* store.prune(2000), 2)
        assert.deepStrictEqual((yield* store.query({ profile: main, fromMs: 0, toMs: 10_000 })).map((s) => s.atMs), [2000, 3000])
        assert.deepStrictEqual((yield* store.query({ profile: other, fromMs: 0, toMs: 10_000 })).map((s) => s.atMs), [3500])
        yield* store.delete(main)
        assert.deepStrictEqual(yield* store.query({ profile: main, fromMs: 0, toMs: 10_000 }), [])
        assert.strictEqual((yield* store.query({ profile: other, fromMs: 0, toMs: 10_000 })).length, 1)
      }).pipe(Effect.provide(makeLayer("prune"))))
  })
