/**
 * Seeding the config file's profiles when several instances start together on one store: both read "no such
 * profile", both create it; the one that loses the race must re-read and start anyway (it used to fail with
 * a version conflict and exit).
 */
import { Engine, ProfileRepository, StatsSource, type ProfileKey } from "@guildpulse/core"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Ref } from "effect"
import { seed } from "../src/Composition.js"

const settings = {
  profiles: [{ key: "widget", label: "Widget", guildId: "123456789012345678", sources: { bot: false, invite: false } }],
  tokens: new Map()
}

/** A memory repository whose first two reads both answer what was stored before either of them returned. */
const racyRepository = Layer.effect(
  ProfileRepository.ProfileRepository,
  Effect.gen(function* () {
    const inner = yield* ProfileRepository.makeMemory()
    const reads = yield* Ref.make(0)
    const bothRead = yield* Deferred.make<void>()
    return {
      ...inner,
      get: (key: ProfileKey) =>
        Effect.gen(function* () {
          const found = yield* inner.get(key)
          const n = yield* Ref.updateAndGet(reads, (count) => count + 1)
          if (n === 2) yield* Deferred.succeed(bothRead, undefined)
          if (n <= 2) yield* Deferred.await(bothRead)
          return found
        })
    }
  })
)

const engine = Engine.services({ scheduler: false }).pipe(
  Layer.provideMerge(Layer.merge(Engine.storesMemory(), racyRepository)),
  Layer.provide(StatsSource.layerFixed({}))
)

describe("seed", () => {
  it.effect("two instances seeding the same new profile at once both start, with one stored version", () =>
    Effect.gen(function* () {
      const [a, b] = yield* Effect.all([seed(settings), seed(settings)], { concurrency: 2 })
      const stored = yield* ProfileRepository.ProfileRepository.pipe(Effect.flatMap((repo) => repo.list))
      expect({ a: a.map((p) => p.key), b: b.map((p) => p.key), stored: stored.map((p) => [p.key, p.version]) }).toEqual({
        a: ["widget"],
        b: ["widget"],
        // Version 2, as after a single seed (the profile, then its token metadata): nothing was written twice.
        stored: [["widget", 2]]
      })
    }).pipe(Effect.provide(engine)))
})
