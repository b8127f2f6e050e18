import { Effect, Layer } from "effect"
import { Engine, Profiles, Stats } from "@guildpulse/core"
import { DiscordLive } from "@guildpulse/connector-discord"

const engine = Engine.layerMemory({ tokens: { main: process.env["DISCORD_BOT_TOKEN"] ?? "" } }).pipe(
  Layer.provide(DiscordLive.layerConfig()) // DISCORD_API_BASE_URL & co. from the environment
)
const program = Effect.gen(function* () {
  yield* (yield* Profiles.Profiles).create({ key: "main", label: "My server", guildId: "123456789012345678", inviteCode: "abc" })
  const view = yield* (yield* Stats.Stats).get("main") // online from the widget, members from the bot, with provenance
  console.log(view.counts, view.provenance, view.freshness.state)
})
Effect.runPromise(program.pipe(Effect.provide(engine)))
