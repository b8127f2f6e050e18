/** Checks done before sending, so that a request Discord must refuse is never sent (and never counted). */
import { Effect } from "effect"
import { UpstreamError } from "@guildpulse/core"
import type { UpstreamSource } from "@guildpulse/core"

const SNOWFLAKE = /^\d{17,20}$/
const INVITE_CODE = /^[A-Za-z0-9-]{2,64}$/

export const guildIdFor = (source: UpstreamSource, guildId: string): Effect.Effect<string, UpstreamError> =>
  SNOWFLAKE.test(guildId)
    ? Effect.succeed(guildId)
    : Effect.fail(new UpstreamError({ source, reason: "unknown_guild", message: `'${guildId.slice(0, 40)}' is not a guild id (17-20 digits); not sent` }))

export const inviteCodeFor = (code: string): Effect.Effect<string, UpstreamError> =>
  INVITE_CODE.test(code)
    ? Effect.succeed(code)
    : Effect.fail(new UpstreamError({ source: "invite", reason: "unknown_invite", message: `'${code.slice(0, 70)}' is not an invite code; not sent` }))
