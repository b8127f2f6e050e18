/** The block's metadata (block.json), generated from the legacy attribute schema. */
import { blockAttributes } from "@guildpulse/widget"

export const BLOCK_NAME = "guildpulse/stats"
/** The legacy plugin's block: old posts keep their markup, the plugin renders it. */
export const LEGACY_BLOCK_NAME = "discord-bot-jlg/discord-stats"

/** block.json of `guildpulse/stats` (or of the legacy block name, registered for rendering old posts only). */
export const blockJson = (name: string = BLOCK_NAME, version = "0.1.0"): Record<string, unknown> => ({
  $schema: "https://schemas.wp.org/trunk/block.json",
  apiVersion: 2,
  name,
  version,
  title: name === BLOCK_NAME ? "Discord stats (GuildPulse)" : "Discord stats (legacy)",
  category: "widgets",
  icon: "groups",
  description: "Live Discord server numbers from GuildPulse, rendered on the server.",
  keywords: ["discord", "guildpulse", "stats"],
  textdomain: "guildpulse",
  attributes: blockAttributes(),
  supports: {
    html: false,
    anchor: true,
    customClassName: true,
    align: ["wide", "full"],
    spacing: { margin: true, padding: true },
    ...(name === BLOCK_NAME ? {} : { inserter: false })
  },
  ...(name === BLOCK_NAME ? { editorScript: "file:./editor.js" } : {})
})
