/**
 * Profiles for the sandbox's guilds, one per situation a site owner meets: a small guild with its widget on and
 * no bot token, a large guild seen through the bot, and a guild whose widget is switched off (bot token only).
 * The sandbox demo and `guildpulse serve --sandbox` both show them.
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
} from "./Fixtures.js"

export const sampleProfileInputs: ReadonlyArray<typeof ProfileInput.Encoded> = [
  {
    key: "small",
    label: "Pulse Makers (small, widget on)",
    guildId: SMALL_GUILD_ID,
    // An invite link, as a site owner pastes it (normalised to the code).
    inviteCode: `https://discord.gg/${SMALL_GUILD_INVITE}`,
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

/** The sandbox's bot token for the sample profiles that use the bot (kept in a SecretVault, never shown). */
export const sampleProfileTokens: Readonly<Record<string, string>> = {
  large: SANDBOX_BOT_TOKEN,
  "no-widget": SANDBOX_BOT_TOKEN
}
