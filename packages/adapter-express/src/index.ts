/**
 * @guildpulse/adapter-express — the GuildPulse HTTP API as an Express router (`guildPulse`) or a standalone
 * server (`createServer`): REST (stats, profiles, events), SSR widget, badge, embed script, OpenAPI.
 */
export * as ApiKeyAuth from "./ApiKeyAuth.js"
export * as Authenticator from "./Authenticator.js"
export * as Console from "./Console.js"
export * as Cors from "./Cors.js"
export * as OpenApi from "./OpenApi.js"
export * as ObservabilityRoutes from "./ObservabilityRoutes.js"
export * as Problem from "./Problem.js"
export * as RateLimiter from "./RateLimiter.js"
export * as Routes from "./Routes.js"
export * as Schemas from "./Schemas.js"
export * as Server from "./Server.js"

export { guildPulse, DEFAULT_BODY_LIMIT_BYTES } from "./GuildPulse.js"
export type { EngineSource, GuildPulseOptions, GuildPulseRouter } from "./GuildPulse.js"
export { createServer, config, loadConfig, listenFromEnv, DEFAULT_HOST, DEFAULT_PORT } from "./Server.js"
export type { GuildPulseServer, Listening, ServerConfig, ServerOptions } from "./Server.js"
export type { Principal, Scope } from "./Authenticator.js"
export type { Governance } from "./ApiKeyAuth.js"
export type { RouteContext, RouteSpec } from "./Routes.js"
export type { EngineHandle } from "./internal/engine.js"
export { send, sendJson, sendProblem, etagOf, ifNoneMatchHits, parseQuery } from "./internal/http.js"
