import { Effect, Layer } from "effect"
import { DemoSource, Profiles, Stats } from "@guildpulse/core"
import { SqliteEngine } from "@guildpulse/store-sqlite"

const engine = SqliteEngine.layer({ dataDir: "./.guildpulse" }) // or SqliteEngine.layerConfig() from the environment
const program = Effect.gen(function* () {
  const profiles = yield* Profiles.Profiles
  if ((yield* profiles.list).length === 0) yield* profiles.create({ key: "main", label: "My server", guildId: "123456789012345678" })
  console.log((yield* (yield* Stats.Stats).get("main")).freshness.state)
})
Effect.runPromise(program.pipe(Effect.provide(engine.pipe(Layer.provide(DemoSource.layer)))))
