/**
 * The invite source: `GET /invites/{code}?with_counts=true`, public (no token). Gives approximate member and
 * presence counts (cached by Discord for minutes) plus the guild's name, icon, banner, description and
 * boosts. An invite that leads to another guild than the profile's is refused as `unknown_invite`: its
 * numbers would be someone else's.
 */
import { Effect } from "effect"
import { UpstreamError } from "@guildpulse/core"
import type { StatsFields } from "@guildpulse/core"
import { DiscordClient } from "./DiscordClient.js"
import { Invite } from "./DiscordSchemas.js"
import { guildFields, type ImageOptions } from "./internal/guildFields.js"
import { inviteCodeFor } from "./internal/validate.js"

export const TEMPLATE = "/invites/{invite.code}"

/** Maps a decoded invite to core's fields. */
export const fieldsFromInvite = (invite: Invite, images: ImageOptions): StatsFields => guildFields(invite.guild, invite, images)

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
