/**
 * The widget source: `GET /guilds/{id}/widget.json`, public (no token). Gives the guild name, the instant
 * invite, `presence_count` (the online count) and a capped, anonymised member sample, reported as a
 * presence *sample* — never counted to get "online".
 */
import { Effect } from "effect"
import type { PresenceSample, StatsFields, UpstreamError } from "@guildpulse/core"
import { DiscordClient } from "./DiscordClient.js"
import { Widget } from "./DiscordSchemas.js"
import { guildIdFor } from "./internal/validate.js"

export const TEMPLATE = "/guilds/{guild.id}/widget.json"

/** The status breakdown of the widget's member sample (≤ 100 entries; other statuses only count in the size). */
export const presenceSample = (members: ReadonlyArray<{ readonly status?: string | undefined }>): PresenceSample => {
  let online = 0
  let idle = 0
  let dnd = 0
  for (const member of members) {
    if (member.status === "online") online += 1
    else if (member.status === "idle") idle += 1
    else if (member.status === "dnd") dnd += 1
  }
  return { online, idle, dnd, sampleSize: members.length }
}

/** Maps a decoded widget to core's fields: online = `presence_count`, presence = the sample's breakdown. */
export const fieldsFromWidget = (widget: Widget): StatsFields => ({
  name: widget.name,
  online: widget.presence_count,
  ...(widget.instant_invite !== undefined && widget.instant_invite !== null && widget.instant_invite !== ""
    ? { instantInvite: widget.instant_invite }
    : {}),
  ...(widget.members !== undefined ? { presence: presenceSample(widget.members) } : {})
})

export interface WidgetFetchOptions {
  readonly profile?: string | undefined
}

/** One attempt at the widget of `guildId`. */
export const fetch = (guildId: string, options: WidgetFetchOptions = {}): Effect.Effect<StatsFields, UpstreamError, DiscordClient> =>
  Effect.gen(function* () {
    const id = yield* guildIdFor("widget", guildId)
    const client = yield* DiscordClient
    const widget = yield* client.get({
      source: "widget",
      template: TEMPLATE,
      major: id,
      path: `/guilds/${id}/widget.json`,
      profile: options.profile,
      schema: Widget
    })
    return fieldsFromWidget(widget)
  })
