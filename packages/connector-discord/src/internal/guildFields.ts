/**
 * The guild fields the bot and invite endpoints share (name, icon, banner, description, boosts, counts),
 * mapped once to core's `StatsFields`.
 */
import type { StatsFields } from "@guildpulse/core"
import { guildBannerUrl, guildIconUrl } from "../Cdn.js"
import type { InviteGuild } from "../DiscordSchemas.js"

export interface ImageOptions {
  readonly cdnUrl: string
  readonly iconSize: number
  readonly bannerSize: number
}

/** Discord sends absent text as missing, `null` or empty: all three mean "none". */
const text = (value: string | null | undefined): string | undefined =>
  value === undefined || value === null || value.trim() === "" ? undefined : value

export interface ApproximateCounts {
  readonly approximate_member_count?: number | undefined
  readonly approximate_presence_count?: number | undefined
}

export const guildFields = (guild: InviteGuild, counts: ApproximateCounts, images: ImageOptions): StatsFields => {
  const icon = text(guild.icon)
  const banner = text(guild.banner)
  const description = text(guild.description)
  return {
    name: guild.name,
    ...(icon !== undefined ? { iconUrl: guildIconUrl(guild.id, icon, images.iconSize, images.cdnUrl) } : {}),
    ...(banner !== undefined ? { bannerUrl: guildBannerUrl(guild.id, banner, images.bannerSize, images.cdnUrl) } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(counts.approximate_member_count !== undefined ? { members: counts.approximate_member_count } : {}),
    ...(counts.approximate_presence_count !== undefined ? { online: counts.approximate_presence_count } : {}),
    ...(guild.premium_subscription_count !== undefined && guild.premium_subscription_count !== null
      ? { boosts: guild.premium_subscription_count }
      : {})
  }
}
