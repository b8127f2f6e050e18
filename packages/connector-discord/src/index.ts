/**
 * @guildpulse/connector-discord — the Discord widget, bot and invite sources of GuildPulse (core's
 * `StatsSource` port) with Discord's rate-limit scheme, and a token validator. The FakeDiscord sandbox has
 * its own entry point: `@guildpulse/connector-discord/sandbox`.
 */
export * as BotSource from "./BotSource.js"
export * as Cdn from "./Cdn.js"
export * as ConnectorMetrics from "./ConnectorMetrics.js"
export * as DiscordClient from "./DiscordClient.js"
export * as DiscordConfig from "./DiscordConfig.js"
export * as DiscordLive from "./DiscordLive.js"
export * as DiscordSchemas from "./DiscordSchemas.js"
export * as DiscordSource from "./DiscordSource.js"
export * as InviteSource from "./InviteSource.js"
export * as RateLimiter from "./RateLimiter.js"
export * as TokenValidator from "./TokenValidator.js"
export * as WidgetSource from "./WidgetSource.js"
