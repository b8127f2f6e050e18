/**
 * Profiles `serve --sandbox` shows when the config file has none: one per situation a site owner meets —
 * a small guild with its widget on and no token, a large guild seen through the bot, and a guild whose widget
 * is switched off (bot token only).
 */
import type { ProfileInput } from "@guildpulse/core"
import {
  LARGE_GUILD_ID,
  LARGE_GUILD_INVITE,
  SANDBOX_BOT_TOKEN,
  SMALL_GUILD_ID,
  SMALL_GUILD_INVITE,
  WIDGET_DISABLED_GUILD_ID,
  WIDGET_DISABLED_GUILD_INVITE
} from "@guildpulse/connector-discord/sandbox"
import { Redacted } from "effect"

export const sandboxProfiles: ReadonlyArray<typeof ProfileInput.Encoded> = [
  {
    key: "small",
    label: "Pulse Makers (small, widget on)",
    guildId: SMALL_GUILD_ID,
    inviteCode: SMALL_GUILD_INVITE,
    sources: { widget: true, bot: false, invite: true },
    refresh: { ttlSeconds: 60 },
    display: { theme: "discord" }
  },
  {
    key: "large",
    label: "Pulse City (large, bot)",
    guildId: LARGE_GUILD_ID,
    inviteCode: LARGE_GUILD_INVITE,
    refresh: { ttlSeconds: 120 },
    display: { theme: "dark", showBoosts: true }
  },
  {
    key: "no-widget",
    label: "Retro Arcade Collective (widget off, bot)",
    guildId: WIDGET_DISABLED_GUILD_ID,
    inviteCode: WIDGET_DISABLED_GUILD_INVITE,
    refresh: { ttlSeconds: 60 },
    display: { theme: "light" }
  }
]

export const sandboxTokens = (): ReadonlyMap<string, Redacted.Redacted<string>> =>
  new Map([
    ["large", Redacted.make(SANDBOX_BOT_TOKEN)],
    ["no-widget", Redacted.make(SANDBOX_BOT_TOKEN)]
  ])
