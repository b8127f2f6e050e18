/** The config file the subprocess tests serve: a widget-only, a bot-with-token and an invite-only profile. */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import {
  LARGE_GUILD_ID,
  SANDBOX_BOT_TOKEN,
  SMALL_GUILD_ID,
  WIDGET_DISABLED_GUILD_ID,
  WIDGET_DISABLED_GUILD_INVITE
} from "@guildpulse/connector-discord/sandbox"
import { writeJson } from "./harness.js"

/**
 * Writes `guildpulse.config.json` (and the bot token file it points at) into `dir`, with `extra` top-level
 * settings; returns the config path.
 */
export const threeProfiles = (dir: string, extra: Record<string, unknown> = {}): string => {
  writeFileSync(join(dir, "bot.token"), `${SANDBOX_BOT_TOKEN}\n`)
  return writeJson(dir, "guildpulse.config.json", {
    ...extra,
    profiles: [
      { key: "widget", label: "Widget only", guildId: SMALL_GUILD_ID, sources: { widget: true, bot: false, invite: false }, fallback: { demo: "never" } },
      {
        key: "bot",
        label: "Bot with token",
        guildId: LARGE_GUILD_ID,
        sources: { widget: false, bot: true, invite: false },
        fallback: { demo: "never" },
        token: { file: "./bot.token" }
      },
      {
        key: "invite",
        label: "Invite only",
        guildId: WIDGET_DISABLED_GUILD_ID,
        inviteCode: WIDGET_DISABLED_GUILD_INVITE,
        sources: { widget: false, bot: false, invite: true },
        fallback: { demo: "never" }
      }
    ]
  })
}
