/**
 * The demo's three profiles, one per situation a site owner meets: a small guild with its widget on and no
 * bot token, a large guild seen through the bot, and a guild whose widget is switched off (bot token only).
 */
import { fromInput, ProfileInput, type Profile } from "@guildpulse/core"
import {
  LARGE_GUILD_ID,
  LARGE_GUILD_INVITE,
  SANDBOX_BOT_TOKEN,
  SMALL_GUILD_ID,
  SMALL_GUILD_INVITE,
  WIDGET_DISABLED_GUILD_ID,
  WIDGET_DISABLED_GUILD_INVITE
} from "@guildpulse/connector-discord/sandbox"
import { Schema } from "effect"

const inputs: ReadonlyArray<typeof ProfileInput.Encoded> = [
  {
    key: "small",
    label: "Pulse Makers (small, widget on)",
    guildId: SMALL_GUILD_ID,
    inviteCode: `https://discord.gg/${SMALL_GUILD_INVITE}`,
    sources: { widget: true, bot: false, invite: true },
    refresh: { ttlSeconds: 60 },
    // The sandbox demo opts in to labelled demo numbers until the first real ones (the default is "never").
    fallback: { demo: "when-empty" },
    display: { theme: "discord" }
  },
  {
    key: "large",
    label: "Pulse City (large, bot)",
    guildId: LARGE_GUILD_ID,
    inviteCode: LARGE_GUILD_INVITE,
    refresh: { ttlSeconds: 120 },
    // The sandbox demo opts in to labelled demo numbers until the first real ones (the default is "never").
    fallback: { demo: "when-empty" },
    display: { theme: "dark", showBoosts: true }
  },
  {
    key: "no-widget",
    label: "Retro Arcade Collective (widget off, bot)",
    guildId: WIDGET_DISABLED_GUILD_ID,
    inviteCode: WIDGET_DISABLED_GUILD_INVITE,
    refresh: { ttlSeconds: 60 },
    // The sandbox demo opts in to labelled demo numbers until the first real ones (the default is "never").
    fallback: { demo: "when-empty" },
    display: { theme: "light" }
  }
]

export const sampleProfiles = (nowIso: string): ReadonlyArray<Profile> =>
  inputs.map((input) => fromInput(Schema.decodeUnknownSync(ProfileInput)(input), nowIso))

/** Bot tokens of the sandbox, per profile (kept in the engine's SecretVault, never shown). */
export const sampleTokens: Readonly<Record<string, string>> = {
  large: SANDBOX_BOT_TOKEN,
  "no-widget": SANDBOX_BOT_TOKEN
}
