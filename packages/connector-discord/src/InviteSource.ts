/**
 * The invite source: `GET /invites/{code}?with_counts=true`, public (no token). Gives approximate member and
 * presence counts (cached by Discord for minutes) plus the guild's name, icon, banner, description and
 * boosts. An invite that leads to another guild than the profile's is refused as `unknown_invite`: its
 * numbers would be someone else's.
 */
import { Effect } from "effect"
import { UpstreamError } from "@guildpulse/core"
import type { StatsFields } from "@guildpulse/core"
import type { ImageOptions } from "./BotSource.js"
import { guildBannerUrl, guildIconUrl } from "./Cdn.js"
import { DiscordClient } from "./DiscordClient.js"
import { Invite } from "./DiscordSchemas.js"
import { inviteCodeFor } from "./internal/validate.js"

export const TEMPLATE = "/invites/{invite.code}"

const text = (value: string | null | undefined): string | undefined =>
  value === undefined || value === null || value.trim() === "" ? undefined : value

/** Maps a decoded invite to core's fields. */
export const fieldsFromInvite = (invite: Invite, images: ImageOptions): StatsFields => {
  const guild = invite.guild
  const icon = text(guild.icon)
  const banner = text(guild.banner)
  const description = text(guild.description)
  return {
    name: guild.name,
    ...(icon !== undefined ? { iconUrl: guildIconUrl(guild.id, icon, images.iconSize, images.cdnUrl) } : {}),
    ...(banner !== undefined ? { bannerUrl: guildBannerUrl(guild.id, banner, images.bannerSize, images.cdnUrl) } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(invite.approximate_member_count !== undefined ? { members: invite.approximate_member_count } : {}),
    ...(invite.approximate_presence_count !== undefined ? { online: invite.approximate_presence_count } : {}),
    ...(guild.premium_subscription_count !== undefined && guild.premium_subscription_count !== null
      ? { boosts: guild.premium_subscription_count }
      : {})
  }
}

export interface InviteFetchOptions {
  readonly profile?: string | undefined
  /** The profile's guild: an invite to any other guild fails `unknown_invite`. */
  readonly expectedGuildId?: string | undefined
}

/** One attempt at invite `code` with counts. */
export const fetch = (code: string, options: InviteFetchOptions = {}): Effect.Effect<StatsFields, UpstreamError, DiscordClient> =>
  Effect.gen(function* () {
    const valid = yield* inviteCodeFor(code)
    const client = yield* DiscordClient
    const invite = yield* client.get({
      source: "invite",
      template: TEMPLATE,
      major: valid,
      path: `/invites/${encodeURIComponent(valid)}`,
      query: { with_counts: "true" },
      profile: options.profile,
      schema: Invite
    })
    if (options.expectedGuildId !== undefined && invite.guild.id !== options.expectedGuildId) {
      return yield* Effect.fail(
        new UpstreamError({
          source: "invite",
          reason: "unknown_invite",
          status: 200,
          message: `invite '${valid}' leads to guild ${invite.guild.id}, not to the profile's guild ${options.expectedGuildId}`
        })
      )
    }
    return fieldsFromInvite(invite, client.options)
  })
