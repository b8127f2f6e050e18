/** JSON payloads and error pages, shaped like Discord's (and its proxy's) responses. */
import type { BotFixture, GuildFixture, InviteFixture } from "../Fixtures.js"
import type { GuildCounts } from "../Drift.js"
import { widgetMembersAt } from "../Drift.js"
import type { MalformedKind, OutageStatus, RouteName } from "../Scenario.js"
import { hash32 } from "./hash.js"

export const errorBody = (code: number, message: string): Record<string, unknown> => ({ message, code })

export const UNAUTHORIZED = errorBody(0, "401: Unauthorized")
export const NOT_FOUND = errorBody(0, "404: Not Found")
export const METHOD_NOT_ALLOWED = errorBody(0, "405: Method Not Allowed")
export const UNKNOWN_GUILD = errorBody(10004, "Unknown Guild")
export const UNKNOWN_INVITE = errorBody(10006, "Unknown Invite")
export const WIDGET_DISABLED = errorBody(50004, "Widget Disabled")

/** What Discord answers for a non-snowflake path parameter. */
export const invalidSnowflake = (field: string, value: string): Record<string, unknown> => ({
  message: "Invalid Form Body",
  code: 50035,
  errors: { [field]: { _errors: [{ code: "NUMBER_TYPE_COERCE", message: `Value "${value}" is not snowflake.` }] } }
})

export interface Page {
  readonly contentType: string
  readonly body: string
}

const json = (value: unknown): Page => ({ contentType: "application/json", body: JSON.stringify(value) })

const proxyPage = (status: number, title: string): Page => ({
  contentType: "text/html",
  body: `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`
})

/** 500 and 503 come from Discord's API as JSON; 502 and 504 from the proxy in front of it as HTML. */
export const outagePage = (status: OutageStatus): Page => {
  switch (status) {
    case 500:
      return json(errorBody(0, "500: Internal Server Error"))
    case 502:
      return proxyPage(502, "Bad Gateway")
    case 503:
      return json(errorBody(0, "503: Service Unavailable"))
    case 504:
      return proxyPage(504, "Gateway Time-out")
  }
}

export const widgetBody = (guild: GuildFixture, counts: GuildCounts, nowMs: number): Record<string, unknown> => ({
  id: guild.id,
  name: guild.name,
  instant_invite: guild.instantInviteCode === null ? null : `https://discord.com/invite/${guild.instantInviteCode}`,
  channels: guild.channels
    .filter((c) => c.type === 2)
    .sort((a, b) => a.position - b.position)
    .map((c) => ({ id: c.id, name: c.name, position: c.position })),
  members: widgetMembersAt(guild, nowMs),
  presence_count: counts.presenceCount
})

/** `counts` only when the request asked `with_counts=true`. */
export const guildBody = (
  guild: GuildFixture,
  counts: GuildCounts | undefined,
  options: { readonly widgetEnabled: boolean }
): Record<string, unknown> => ({
  id: guild.id,
  name: guild.name,
  icon: guild.icon,
  icon_hash: guild.icon,
  description: guild.description,
  home_header: null,
  splash: guild.splash,
  discovery_splash: guild.discoverySplash,
  features: guild.features,
  banner: guild.banner,
  owner_id: guild.ownerId,
  application_id: null,
  region: "deprecated",
  afk_channel_id: null,
  afk_timeout: 300,
  system_channel_id: guild.channels.find((c) => c.type === 0)?.id ?? null,
  system_channel_flags: 0,
  widget_enabled: options.widgetEnabled,
  widget_channel_id: guild.widgetChannelId,
  verification_level: guild.verificationLevel,
  roles: [
    {
      id: guild.id,
      name: "@everyone",
      description: null,
      permissions: "2222085186637376",
      position: 0,
      color: 0,
      hoist: false,
      managed: false,
      mentionable: false,
      icon: null,
      unicode_emoji: null,
      flags: 0
    }
  ],
  default_message_notifications: 1,
  mfa_level: 0,
  explicit_content_filter: 2,
  max_presences: null,
  max_members: guild.premiumTier === 3 ? 500_000 : 250_000,
  max_stage_video_channel_users: 50,
  max_video_channel_users: 25,
  vanity_url_code: guild.vanityUrlCode,
  premium_tier: guild.premiumTier,
  premium_subscription_count: guild.premiumSubscriptionCount,
  preferred_locale: guild.preferredLocale,
  rules_channel_id: guild.features.includes("COMMUNITY") ? (guild.channels[0]?.id ?? null) : null,
  safety_alerts_channel_id: null,
  public_updates_channel_id: guild.features.includes("COMMUNITY") ? (guild.channels[0]?.id ?? null) : null,
  hub_type: null,
  premium_progress_bar_enabled: guild.premiumTier > 0,
  latest_onboarding_question_id: null,
  nsfw: guild.nsfwLevel === 1,
  nsfw_level: guild.nsfwLevel,
  embed_enabled: options.widgetEnabled,
  embed_channel_id: guild.widgetChannelId,
  emojis: [],
  stickers: [],
  incidents_data: null,
  inventory_settings: null,
  ...(counts === undefined
    ? {}
    : { approximate_member_count: counts.memberCount, approximate_presence_count: counts.presenceCount })
})

const userName = (id: string): string => `member_${(hash32(id) % 100_000).toString().padStart(5, "0")}`

export const inviteBody = (invite: InviteFixture, guild: GuildFixture, counts: GuildCounts | undefined): Record<string, unknown> => {
  const channel = guild.channels.find((c) => c.id === invite.channelId) ?? guild.channels[0]
  return {
    type: 0,
    code: invite.code,
    ...(invite.inviterId === undefined
      ? {}
      : {
          inviter: {
            id: invite.inviterId,
            username: userName(invite.inviterId),
            avatar: null,
            discriminator: "0",
            public_flags: 0,
            flags: 0,
            banner: null,
            accent_color: null,
            global_name: null,
            avatar_decoration_data: null,
            banner_color: null,
            clan: null
          }
        }),
    expires_at: null,
    flags: 0,
    guild: {
      id: guild.id,
      name: guild.name,
      splash: guild.splash,
      banner: guild.banner,
      description: guild.description,
      icon: guild.icon,
      features: guild.features,
      verification_level: guild.verificationLevel,
      vanity_url_code: guild.vanityUrlCode,
      nsfw_level: guild.nsfwLevel,
      nsfw: guild.nsfwLevel === 1,
      premium_subscription_count: guild.premiumSubscriptionCount
    },
    guild_id: guild.id,
    channel: channel === undefined ? null : { id: channel.id, type: channel.type, name: channel.name },
    ...(counts === undefined
      ? {}
      : { approximate_member_count: counts.memberCount, approximate_presence_count: counts.presenceCount })
  }
}

export const meBody = (bot: BotFixture): Record<string, unknown> => ({
  id: bot.user.id,
  username: bot.user.username,
  avatar: bot.user.avatar,
  discriminator: bot.user.discriminator,
  public_flags: 0,
  flags: 0,
  bot: true,
  banner: null,
  accent_color: null,
  global_name: bot.user.globalName,
  avatar_decoration_data: null,
  banner_color: null,
  clan: null,
  mfa_enabled: true,
  locale: "en-US",
  premium_type: 0,
  email: null,
  verified: true,
  bio: ""
})

const WRONG_TYPES: Readonly<Record<RouteName, Record<string, unknown>>> = {
  widget: { id: 1234, name: ["not", "a", "string"], instant_invite: 42, channels: "none", members: { count: 100 }, presence_count: "lots" },
  guild: {
    id: 1234,
    name: null,
    icon: 7,
    features: "COMMUNITY",
    premium_tier: "3",
    approximate_member_count: "250k",
    approximate_presence_count: -1
  },
  invite: { code: 7, guild: "oops", channel: [], approximate_member_count: "n/a", approximate_presence_count: {} },
  me: { id: 1234, username: false, bot: "yes" }
}

const MISSING_FIELDS: Readonly<Record<RouteName, Record<string, unknown>>> = {
  widget: { name: "Half a widget" },
  guild: { name: "Half a guild" },
  invite: { code: "half", type: 0 },
  me: { bot: true }
}

/** A 200 that a client must refuse to trust. `valid` is the body the route would have sent. */
export const malformedPage = (route: RouteName, kind: MalformedKind, valid: Record<string, unknown>): Page => {
  switch (kind) {
    case "invalid-json": {
      const text = JSON.stringify(valid)
      return { contentType: "application/json", body: `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))},"` }
    }
    case "wrong-types":
      return json(WRONG_TYPES[route])
    case "missing-fields":
      return json(MISSING_FIELDS[route])
    case "empty":
      return { contentType: "application/json", body: "" }
    case "html":
      return {
        contentType: "text/html; charset=UTF-8",
        body: "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body><noscript>Enable JavaScript and cookies to continue</noscript></body></html>"
      }
  }
}
