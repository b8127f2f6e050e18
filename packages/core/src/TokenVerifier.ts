/**
 * Port: checks a bot token with Discord before GuildPulse stores it — the token names a bot user, and that bot
 * is in the profile's guild. The connector (`@guildpulse/connector-discord`) implements it with
 * `GET /users/@me` then `GET /guilds/{id}`. GuildPulse reads counts over REST (`with_counts=true`), which needs
 * no gateway intent, so a missing intent is never a reason to refuse a token.
 */
import { Context, Data, Effect, Layer, Redacted } from "effect"
import type { UpstreamError } from "./Errors.js"

export interface VerifiedBot {
  readonly botId: string
  readonly botName: string
}

/** Discord's answer says the token cannot serve the profile. The message never contains the token. */
export class TokenRefused extends Data.TaggedError("TokenRefused")<{
  /** `invalid_token`: Discord does not know it (401); `not_a_bot`: a user account's token; `bot_not_in_guild`. */
  readonly reason: "invalid_token" | "not_a_bot" | "bot_not_in_guild"
  readonly message: string
}> {}

export class TokenVerifier extends Context.Tag("@guildpulse/core/TokenVerifier")<
  TokenVerifier,
  {
    /** The bot behind `token` when it is in guild `guildId`; `UpstreamError` when Discord could not answer. */
    readonly verify: (guildId: string, token: Redacted.Redacted<string>) => Effect.Effect<VerifiedBot, TokenRefused | UpstreamError>
  }
>() {}

/** A verifier over fixed data, for tests: token → the bot and the guilds it is in. */
export const layerStatic = (
  bots: Readonly<Record<string, { readonly botId: string; readonly botName: string; readonly guildIds: ReadonlyArray<string> }>>
): Layer.Layer<TokenVerifier> =>
  Layer.succeed(TokenVerifier, {
    verify: (guildId, token) => {
      const bot = bots[Redacted.value(token)]
      if (bot === undefined) return Effect.fail(new TokenRefused({ reason: "invalid_token", message: "Discord does not accept this token (401)" }))
      if (!bot.guildIds.includes(guildId)) {
        return Effect.fail(new TokenRefused({ reason: "bot_not_in_guild", message: `the bot ${bot.botName} is not in guild ${guildId}` }))
      }
      return Effect.succeed({ botId: bot.botId, botName: bot.botName })
    }
  })
