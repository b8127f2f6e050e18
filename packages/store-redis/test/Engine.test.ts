/**
 * The engine on Redis: three instances (three runtimes, three connections) sharing one Redis answer a burst of
 * cold `Stats.get` for one profile with exactly one upstream call per source; and a profile created on one
 * instance is served by another, from the snapshot that survived the first.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { ProfileRepository, Profiles, Stats } from "@guildpulse/core"
import { RedisEngine, RedisHealth } from "../src/index.js"
import { countingSource, profileFixture } from "./fixtures/domain.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"

const server = useRedisServer()

const instance = (prefix: string, source: ReturnType<typeof countingSource>) =>
  ManagedRuntime.make(
    RedisEngine.layer({ url: server().url, prefix, scheduler: false, tokens: { main: "sandbox-token" } }).pipe(Layer.provide(source.layer))
  )

describe("RedisEngine", () => {
  it.live("3 instances, 600 concurrent cold gets for one profile: one upstream call per source", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("engine")
      const source = countingSource(100)
      const instances = [instance(prefix, source), instance(prefix, source), instance(prefix, source)]
      try {
        yield* Effect.promise(() => instances[0]!.runPromise(Effect.flatMap(ProfileRepository.ProfileRepository, (r) => r.put(profileFixture("main"), 0))))
        const services = yield* Effect.promise(() => Promise.all(instances.map((rt) => rt.runPromise(Stats.Stats))))
        const views = yield* Effect.promise(() =>
          Promise.all(instances.flatMap((rt, i) => Array.from({ length: 200 }, () => rt.runPromise(services[i]!.get("main")))))
        )
        assert.deepStrictEqual(source.calls, { widget: 1, bot: 1, invite: 1 })
        assert.isTrue(views.every((v) => v.freshness.state === "fresh" && v.counts.members === 1500))
        const ready = yield* Effect.promise(() => Promise.all(instances.map((rt) => rt.runPromise(Effect.flatMap(RedisHealth.RedisHealth, (h) => h.ready)))))
        assert.deepStrictEqual(ready, [true, true, true])
      } finally {
        yield* Effect.promise(() => Promise.all(instances.map((rt) => rt.dispose())))
      }
    }), 30_000)

  it.live("a profile created through one instance is served by a later one from the stored snapshot", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("engine-restart")
      const source = countingSource(0)
      const first = instance(prefix, source)
      yield* Effect.promise(() =>
        first.runPromise(
          Effect.gen(function* () {
            yield* (yield* Profiles.Profiles).create({ key: "main", label: "Main", guildId: "123456789012345678", inviteCode: "discord.gg/abc", fallback: { demo: "never" } })
            yield* (yield* Stats.Stats).get("main")
          })
        )
      )
      yield* Effect.promise(() => first.dispose())
      const callsBefore = { ...source.calls }
      const second = instance(prefix, source)
      const view = yield* Effect.promise(() => second.runPromise(Effect.flatMap(Stats.Stats, (s) => s.get("main"))))
      yield* Effect.promise(() => second.dispose())
      assert.strictEqual(view.freshness.state, "fresh")
      assert.strictEqual(view.counts.members, 1500)
      assert.deepStrictEqual(source.calls, callsBefore, "no upstream call: the snapshot survived the restart")
    }), 30_000)
})
