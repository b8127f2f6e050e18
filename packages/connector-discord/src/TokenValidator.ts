/**
 * Bot token check: `GET /users/@me` with the token — cheap, and it names the bot. Used when a token is set
 * or rotated; the call is essential, so it still goes while the invalid-request guard pauses background
 * calls (an operator fixing a token must get an answer).
 */
import { Context, Effect, Layer } from "effect"
import type { Redacted } from "effect"
import type { UpstreamError } from "@guildpulse/core"
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
