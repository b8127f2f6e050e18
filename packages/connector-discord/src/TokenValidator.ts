/**
 * Bot token check: `GET /users/@me` with the token — cheap, and it names the bot. Used when a token is set
 * or rotated; the call is essential, so it still goes while the invalid-request guard pauses background
 * calls (an operator fixing a token must get an answer).
 *
 * `layerVerifier` implements core's `TokenVerifier` port: `/users/@me` (401 → `invalid_token`, a user
 * account → `not_a_bot`), then `GET /guilds/{id}` as that bot (404 Unknown Guild, or the older 403 Missing
 * Access → `bot_not_in_guild`). Other failures (rate limits, outages) stay `UpstreamError`: not a verdict.
 */
import { Context, Effect, Layer } from "effect"
import type { Redacted } from "effect"
import { TokenVerifier, type UpstreamError } from "@guildpulse/core"
import { TEMPLATE as GUILD_TEMPLATE } from "./BotSource.js"
import { Guild } from "./DiscordSchemas.js"
import { guildIdFor } from "./internal/validate.js"
import { userAvatarUrl } from "./Cdn.js"
import { DiscordClient } from "./DiscordClient.js"
import { User } from "./DiscordSchemas.js"

export const TEMPLATE = "/users/@me"

/** The bot user behind a token. */
export interface BotUser {
  readonly id: string
  readonly username: string
  readonly discriminator?: string
  readonly globalName?: string
  readonly avatarUrl: string
  /** False when the token belongs to a user account, which GuildPulse must not use. */
  readonly bot: boolean
}

export const botUserFromUser = (user: User, cdnUrl: string, avatarSize: number): BotUser => ({
  id: user.id,
  username: user.username,
  ...(user.discriminator !== undefined ? { discriminator: user.discriminator } : {}),
  ...(user.global_name !== undefined && user.global_name !== null ? { globalName: user.global_name } : {}),
  avatarUrl: userAvatarUrl(user, avatarSize, cdnUrl),
  bot: user.bot === true
})

/** Validates `token` against Discord: the bot user, or `unauthorized` (401) and the other reasons. */
export const validateToken = (token: Redacted.Redacted<string>): Effect.Effect<BotUser, UpstreamError, DiscordClient> =>
  Effect.gen(function* () {
    const client = yield* DiscordClient
    const user = yield* client.get({
      source: "bot",
      template: TEMPLATE,
      major: "",
      path: "/users/@me",
      token,
      essential: true,
      schema: User
    })
    return botUserFromUser(user, client.options.cdnUrl, client.options.iconSize)
  }).pipe(Effect.withSpan("discord.validateToken"))

/** `validateToken` as a service, for use cases that should not depend on the client. */
export class TokenValidator extends Context.Tag("@guildpulse/connector-discord/TokenValidator")<
  TokenValidator,
  { readonly validate: (token: Redacted.Redacted<string>) => Effect.Effect<BotUser, UpstreamError> }
>() {}

export const layer: Layer.Layer<TokenValidator, never, DiscordClient> = Layer.effect(
  TokenValidator,
  Effect.map(DiscordClient, (client) =>
    TokenValidator.of({ validate: (token) => Effect.provideService(validateToken(token), DiscordClient, client) })
  )
)

/** Core's `TokenVerifier` over the Discord client: the bot behind the token, and that it is in the guild. */
export const verify = (
  guildId: string,
  token: Redacted.Redacted<string>
): Effect.Effect<TokenVerifier.VerifiedBot, TokenVerifier.TokenRefused | UpstreamError, DiscordClient> =>
  Effect.gen(function* () {
    const user = yield* validateToken(token).pipe(
      Effect.catchIf(
        (error) => error.reason === "unauthorized",
        () => Effect.fail(new TokenVerifier.TokenRefused({ reason: "invalid_token", message: "Discord does not accept this token (401 Unauthorized)" }))
      )
    )
    const botName = user.globalName ?? user.username
    if (!user.bot) {
      return yield* new TokenVerifier.TokenRefused({ reason: "not_a_bot", message: `the token belongs to the user account ${user.username}, not a bot` })
    }
    const id = yield* guildIdFor("bot", guildId)
    const client = yield* DiscordClient
    yield* client.get({ source: "bot", template: GUILD_TEMPLATE, major: id, path: `/guilds/${id}`, token, essential: true, schema: Guild }).pipe(
      Effect.catchIf(
        (error) => error.reason === "unknown_guild" || error.reason === "not_found" || error.reason === "forbidden",
        (error) =>
          Effect.fail(new TokenVerifier.TokenRefused({
            reason: "bot_not_in_guild",
            message: `the bot ${botName} is not in guild ${id} (Discord answered ${error.status ?? "an error"}); invite it first`
          }))
      )
    )
    return { botId: user.id, botName }
  }).pipe(Effect.withSpan("discord.verifyToken"))

export const layerVerifier: Layer.Layer<TokenVerifier.TokenVerifier, never, DiscordClient> = Layer.effect(
  TokenVerifier.TokenVerifier,
  Effect.map(DiscordClient, (client) =>
    TokenVerifier.TokenVerifier.of({ verify: (guildId, token) => Effect.provideService(verify(guildId, token), DiscordClient, client) })
  )
)
