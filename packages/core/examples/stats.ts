import { Effect, Layer } from "effect"
import { DemoSource, Engine, Profiles, Stats } from "@guildpulse/core"

const program = Effect.gen(function* () {
  yield* (yield* Profiles.Profiles).create({ key: "main", label: "My server", guildId: "123456789012345678" })
  const view = yield* (yield* Stats.Stats).get("main")
  console.log(view.counts.online, view.freshness.state) // demo numbers, clearly labelled "demo"
})

Effect.runPromise(program.pipe(Effect.provide(Engine.layerMemory().pipe(Layer.provide(DemoSource.layer)))))
