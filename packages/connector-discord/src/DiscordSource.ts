/**
 * Core's `StatsSource` port over Discord: dispatches on `request.source` to the widget, bot and invite
 * sources. One call is one attempt; core's `Refresher` applies retry, the attempt timeout and the circuit
 * breaker around it.
 */
import { Clock, Context, Effect, Layer } from "effect"
import { StatsSource, UpstreamError } from "@guildpulse/core"
import type { SourceStats, StatsFields } from "@guildpulse/core"
import * as BotSource from "./BotSource.js"
import { DiscordClient } from "./DiscordClient.js"
import * as InviteSource from "./InviteSource.js"
import * as WidgetSource from "./WidgetSource.js"

/** One attempt at one source for a profile, as `StatsSource.fetch` does it. */
export const fetchSource = (request: StatsSource.SourceRequest): Effect.Effect<SourceStats, UpstreamError, DiscordClient> => {
  const { profile, source } = request
  const fields: Effect.Effect<StatsFields, UpstreamError, DiscordClient> =
    source === "widget"
      ? WidgetSource.fetch(profile.guildId, { profile: profile.key })
      : source === "bot"
        ? BotSource.fetch(profile.guildId, request.token, { profile: profile.key })
        : profile.inviteCode === undefined
          ? Effect.fail(new UpstreamError({ source: "invite", reason: "unknown_invite", message: "the profile has no invite code; not sent" }))
          : InviteSource.fetch(profile.inviteCode, { profile: profile.key, expectedGuildId: profile.guildId })
  return Effect.flatMap(fields, (f) => Effect.map(Clock.currentTimeMillis, (fetchedAtMs): SourceStats => ({ source, fetchedAtMs, fields: f })))
}

export const make: Effect.Effect<Context.Tag.Service<StatsSource.StatsSource>, never, DiscordClient> = Effect.map(DiscordClient, (client) =>
  StatsSource.StatsSource.of({
    fetch: (request) => Effect.provideService(fetchSource(request), DiscordClient, client)
  })
)

export const layer: Layer.Layer<StatsSource.StatsSource, never, DiscordClient> = Layer.effect(StatsSource.StatsSource, make)
