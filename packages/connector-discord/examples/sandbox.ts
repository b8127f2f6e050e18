import { Effect, Layer } from "effect"
import { Engine, Profiles, Stats } from "@guildpulse/core"
import { DiscordLive } from "@guildpulse/connector-discord"
import { FakeDiscord, LARGE_GUILD_ID, LARGE_GUILD_INVITE, SANDBOX_BOT_TOKEN } from "@guildpulse/connector-discord/sandbox"

const discord = await FakeDiscord.start({ port: 0 }) // a local fake of Discord's API, on a free port
const engine = Engine.layerMemory({ tokens: { city: SANDBOX_BOT_TOKEN } }).pipe(
  Layer.provide(DiscordLive.layer({ baseUrl: `${discord.url}/api` }))
)
const program = Effect.gen(function* () {
  yield* (yield* Profiles.Profiles).create({ key: "city", label: "Pulse City", guildId: LARGE_GUILD_ID, inviteCode: LARGE_GUILD_INVITE })
  const view = yield* (yield* Stats.Stats).get("city")
  console.log(view.guild.name, view.counts, view.freshness.state) // "Pulse City" { online: …, members: … } "fresh"
})
await Effect.runPromise(program.pipe(Effect.provide(engine)))
await discord.stop()
