import { Effect, Layer } from "effect"
import { DemoSource, Profiles, Stats } from "@guildpulse/core"
import { RedisEngine } from "@guildpulse/store-redis"

const url = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379"
const engine = RedisEngine.layer({ url, prefix: "gp:", scheduler: { concurrency: 4 } })
const program = Effect.gen(function* () {
  yield* (yield* Profiles.Profiles).create({ key: "main", label: "My server", guildId: "123456789012345678" })
  console.log((yield* (yield* Stats.Stats).get("main")).freshness.state)
})
Effect.runPromise(program.pipe(Effect.provide(engine.pipe(Layer.provide(DemoSource.layer)))))
