/**
 * FakeDiscord sandbox: a standalone fake of the Discord API endpoints GuildPulse uses, for tests, the demo
 * and benchmarks. Does not depend on @guildpulse/core.
 */
export * as FakeDiscord from "./FakeDiscord.js"
export type { FakeDiscordOptions, FakeDiscordServer } from "./FakeDiscord.js"
export * from "./Fixtures.js"
export * from "./Drift.js"
export * from "./Scenario.js"
export * from "./RateLimiter.js"
export * from "./Stats.js"
export { CDN_DEFAULT_SIZE, CDN_MAX_DRAWN_PX, CDN_PATH, encodePng, identicon } from "./Cdn.js"
export { sampleProfileInputs, sampleProfileTokens } from "./SampleProfiles.js"
