/**
 * The bot source: `GET /guilds/{id}?with_counts=true` with the profile's bot token. Gives the name, icon,
 * banner, description, approximate member and presence counts, boosts and boost tier. Without a token
 * nothing is sent (a guaranteed 401 would only count towards the invalid-request limit).
 */
import { Effect } from "effect"
import type { Redacted } from "effect"
import { UpstreamError } from "@guildpulse/core"
import type { StatsFields } from "@guildpulse/core"
import { DiscordClient } from "./DiscordClient.js"
import { Guild } from "./DiscordSchemas.js"
import { guildFields, type ImageOptions } from "./internal/guildFields.js"
import { guildIdFor } from "./internal/validate.js"

export const TEMPLATE = "/guilds/{guild.id}"

export type { ImageOptions } from "./internal/guildFields.js"

/** Maps a decoded guild to core's fields; counts only when Discord sent them (`with_counts=true`). */
export const fieldsFromGuild = (guild: Guild, images: ImageOptions): StatsFields => ({
  ...guildFields(guild, guild, images),
  ...(guild.premium_tier !== undefined ? { boostTier: Math.min(3, guild.premium_tier) } : {})
})

export interface BotFetchOptions {
  readonly profile?: string | undefined
}

/** One attempt at the guild object of `guildId` with counts, as the bot behind `token`. */
export const fetch = (
  guildId: string,
  token: Redacted.Redacted<string> | undefined,
  options: BotFetchOptions = {}
): Effect.Effect<StatsFields, UpstreamError, DiscordClient> =>
  Effect.gen(function* () {
    const id = yield* guildIdFor("bot", guildId)
    if (token === undefined) {
      return yield* Effect.fail(new UpstreamError({ source: "bot", reason: "unauthorized", message: "no bot token for this profile; not sent" }))
    }
    const client = yield* DiscordClient
    const guild = yield* client.get({
      source: "bot",
      template: TEMPLATE,
      major: id,
      path: `/guilds/${id}`,
      query: { with_counts: "true" },
      token,
      profile: options.profile,
      schema: Guild
    })
    return fieldsFromGuild(guild, client.options)
  })
