/**
 * Deterministic sandbox data: guilds, invites and bots. Everything here is fake; ids are snowflake-shaped
 * (17–20 digits) so they pass the same validation as real ones, and the bot tokens are sandbox-only strings
 * that are deliberately NOT in Discord's token format.
 *
 * Counts are not stored as numbers but as a `CountCurve`; `Drift.ts` turns a curve and an instant into the
 * member/presence counts the endpoints report.
 */

/** Discord channel types the fixtures use: 0 text, 2 voice, 13 stage. */
export type ChannelType = 0 | 2 | 13

export interface ChannelFixture {
  readonly id: string
  readonly name: string
  readonly position: number
  readonly type: ChannelType
}

/**
 * How a guild's counts move over time (all pure; see `Drift.ts`):
 * members = baseMembers + memberSwing·sin(2π·days(t − epochMs)/memberPeriodDays) + memberWobble·noise(minute)
 * online  = baseOnline · (1 + dailySwing·cos(2π(hourUtc − peakHourUtc)/24)) · (1 + onlineWobble·noise(minute))
 */
export interface CountCurve {
  readonly epochMs: number
  readonly baseMembers: number
  /** Absolute amplitude of a slow join/leave cycle (bounded, so the fixture stays "≈ baseMembers" forever). */
  readonly memberSwing: number
  readonly memberPeriodDays: number
  /** Absolute ± members per minute. */
  readonly memberWobble: number
  readonly baseOnline: number
  /** Fraction (0–1) by which the online count swings over a day. */
  readonly dailySwing: number
  readonly peakHourUtc: number
  /** Fraction (0–1) of per-minute noise on the online count. */
  readonly onlineWobble: number
}

export interface GuildFixture {
  readonly id: string
  readonly name: string
  /** Icon hash; an `a_` prefix marks an animated icon. */
  readonly icon: string | null
  readonly banner: string | null
  readonly splash: string | null
  readonly discoverySplash: string | null
  readonly description: string | null
  readonly features: ReadonlyArray<string>
  readonly premiumTier: 0 | 1 | 2 | 3
  readonly premiumSubscriptionCount: number
  readonly vanityUrlCode: string | null
  readonly verificationLevel: 0 | 1 | 2 | 3 | 4
  readonly nsfwLevel: 0 | 1 | 2 | 3
  readonly widgetEnabled: boolean
  readonly widgetChannelId: string | null
  /** Invite code the widget advertises as `instant_invite`; null like a widget without an invite channel. */
  readonly instantInviteCode: string | null
  readonly ownerId: string
  readonly preferredLocale: string
  readonly channels: ReadonlyArray<ChannelFixture>
  readonly counts: CountCurve
}

export interface InviteFixture {
  readonly code: string
  readonly guildId: string
  readonly channelId: string
  /** Absent for vanity invites. */
  readonly inviterId?: string
}

export interface BotUserFixture {
  readonly id: string
  readonly username: string
  readonly discriminator: string
  readonly avatar: string | null
  readonly globalName: string | null
}

export interface BotFixture {
  readonly token: string
  readonly user: BotUserFixture
  /** Guilds this bot has joined; the guild endpoint answers 404 10004 for any other guild. */
  readonly guildIds: ReadonlyArray<string>
}

export interface SandboxFixtures {
  readonly guilds: ReadonlyArray<GuildFixture>
  readonly invites: ReadonlyArray<InviteFixture>
  readonly bots: ReadonlyArray<BotFixture>
}

/** Widget on, a few hundred members. */
export const SMALL_GUILD_ID = "1129384756102938475"
/** ≈250,000 members, ≈40,000 online; the widget's member list is capped at 100. */
export const LARGE_GUILD_ID = "613425648685547541"
/** Widget off (widget.json answers 403 50004); bot and invite data still work. */
export const WIDGET_DISABLED_GUILD_ID = "874519203746512384"
/** Widget and invite work, but no sandbox bot is in it (guild endpoint answers 404 10004). */
export const FOREIGN_GUILD_ID = "1098765432109876543"
/** Snowflake-shaped id that matches no fixture at all. */
export const UNKNOWN_GUILD_ID = "999999999999999999"

export const SMALL_GUILD_INVITE = "Hx7QpVb"
/** The large guild's vanity code, which also works as an invite code (like on Discord). */
export const LARGE_GUILD_INVITE = "pulsecity"
export const WIDGET_DISABLED_GUILD_INVITE = "Rtr0ArcD"
export const FOREIGN_GUILD_INVITE = "nOtOuRs1"
export const UNKNOWN_INVITE = "doesNotExist"

/** Sandbox-only bot token; member of the small, large and widget-disabled guilds. */
export const SANDBOX_BOT_TOKEN = "sandbox.guildpulse-bot.0000000000000000000000000001"
/** A second sandbox bot (own global limit), member of the small guild only. */
export const SANDBOX_SECOND_BOT_TOKEN = "sandbox.guildpulse-bot.0000000000000000000000000002"
export const SANDBOX_BOT_USER_ID = "1175093856734219264"
export const SANDBOX_SECOND_BOT_USER_ID = "1201934785620938752"

/** Counts curves start here (2025-01-01T00:00:00Z). */
export const COUNTS_EPOCH_MS: number = Date.UTC(2025, 0, 1)

const smallGuild: GuildFixture = {
  id: SMALL_GUILD_ID,
  name: "Pulse Makers",
  icon: "3f9c1e7a2b4d6c8e0f1a2b3c4d5e6f70",
  banner: null,
  splash: null,
  discoverySplash: null,
  description: "A small maker community testing GuildPulse.",
  features: ["COMMUNITY", "NEWS", "WELCOME_SCREEN_ENABLED"],
  premiumTier: 1,
  premiumSubscriptionCount: 3,
  vanityUrlCode: null,
  verificationLevel: 1,
  nsfwLevel: 0,
  widgetEnabled: true,
  widgetChannelId: "1129384756102938480",
  instantInviteCode: SMALL_GUILD_INVITE,
  ownerId: "1040582036471263232",
  preferredLocale: "en-US",
  channels: [
    { id: "1129384756102938480", name: "welcome", position: 0, type: 0 },
    { id: "1129384756102938481", name: "general", position: 1, type: 0 },
    { id: "1129384756102938482", name: "Lounge", position: 0, type: 2 },
    { id: "1129384756102938483", name: "Workshop", position: 1, type: 2 }
  ],
  counts: {
    epochMs: COUNTS_EPOCH_MS,
    baseMembers: 347,
    memberSwing: 6,
    memberPeriodDays: 28,
    memberWobble: 2,
    baseOnline: 62,
    dailySwing: 0.35,
    peakHourUtc: 19,
    onlineWobble: 0.08
  }
}

const largeGuild: GuildFixture = {
  id: LARGE_GUILD_ID,
  name: "Pulse City",
  icon: "a_7d2f5b9e1c3a4f6b8d0e2c4a6f8b0d1e",
  banner: "b8e1f4a7c0d3e6f9a2b5c8d1e4f7a0b3",
  splash: "c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9",
  discoverySplash: "d1e4f7a0b3c6d9e2f5a8b1c4d7e0f3a6",
  description: "The biggest GuildPulse test community.",
  features: [
    "ANIMATED_BANNER",
    "ANIMATED_ICON",
    "BANNER",
    "COMMUNITY",
    "DISCOVERABLE",
    "INVITE_SPLASH",
    "NEWS",
    "PARTNERED",
    "VANITY_URL",
    "VERIFIED",
    "WELCOME_SCREEN_ENABLED"
  ],
  premiumTier: 3,
  premiumSubscriptionCount: 412,
  vanityUrlCode: LARGE_GUILD_INVITE,
  verificationLevel: 2,
  nsfwLevel: 0,
  widgetEnabled: true,
  widgetChannelId: "613425648685547600",
  instantInviteCode: LARGE_GUILD_INVITE,
  ownerId: "205341236925628416",
  preferredLocale: "en-US",
  channels: [
    { id: "613425648685547600", name: "rules", position: 0, type: 0 },
    { id: "613425648685547601", name: "general", position: 1, type: 0 },
    { id: "613425648685547602", name: "General Voice", position: 0, type: 2 },
    { id: "613425648685547603", name: "Gaming", position: 1, type: 2 },
    { id: "613425648685547604", name: "Music", position: 2, type: 2 },
    { id: "613425648685547605", name: "Town Hall", position: 3, type: 13 },
    { id: "613425648685547606", name: "AFK", position: 4, type: 2 }
  ],
  counts: {
    epochMs: COUNTS_EPOCH_MS,
    baseMembers: 250_000,
    memberSwing: 1_500,
    memberPeriodDays: 28,
    memberWobble: 40,
    baseOnline: 40_000,
    dailySwing: 0.18,
    peakHourUtc: 18,
    onlineWobble: 0.01
  }
}

const widgetDisabledGuild: GuildFixture = {
  id: WIDGET_DISABLED_GUILD_ID,
  name: "Retro Arcade Collective",
  icon: null,
  banner: null,
  splash: null,
  discoverySplash: null,
  description: null,
  features: [],
  premiumTier: 0,
  premiumSubscriptionCount: 0,
  vanityUrlCode: null,
  verificationLevel: 0,
  nsfwLevel: 0,
  widgetEnabled: false,
  widgetChannelId: null,
  instantInviteCode: null,
  ownerId: "330271875190652928",
  preferredLocale: "de",
  channels: [
    { id: "874519203746512390", name: "lobby", position: 0, type: 0 },
    { id: "874519203746512391", name: "Arcade Hall", position: 0, type: 2 }
  ],
  counts: {
    epochMs: COUNTS_EPOCH_MS,
    baseMembers: 1_834,
    memberSwing: 12,
    memberPeriodDays: 21,
    memberWobble: 3,
    baseOnline: 211,
    dailySwing: 0.3,
    peakHourUtc: 20,
    onlineWobble: 0.05
  }
}

const foreignGuild: GuildFixture = {
  id: FOREIGN_GUILD_ID,
  name: "Elsewhere Lounge",
  icon: "e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0",
  banner: null,
  splash: null,
  discoverySplash: null,
  description: "A guild no sandbox bot has joined.",
  features: ["COMMUNITY"],
  premiumTier: 2,
  premiumSubscriptionCount: 9,
  vanityUrlCode: null,
  verificationLevel: 1,
  nsfwLevel: 0,
  widgetEnabled: true,
  widgetChannelId: null,
  instantInviteCode: null,
  ownerId: "418842145125105665",
  preferredLocale: "en-GB",
  channels: [
    { id: "1098765432109876550", name: "chat", position: 0, type: 0 },
    { id: "1098765432109876551", name: "Hangout", position: 0, type: 2 }
  ],
  counts: {
    epochMs: COUNTS_EPOCH_MS,
    baseMembers: 5_120,
    memberSwing: 40,
    memberPeriodDays: 35,
    memberWobble: 5,
    baseOnline: 860,
    dailySwing: 0.25,
    peakHourUtc: 21,
    onlineWobble: 0.03
  }
}

/** The fixtures every sandbox starts with unless `fixtures` is passed to `FakeDiscord.start`. */
export const defaultFixtures: SandboxFixtures = {
  guilds: [smallGuild, largeGuild, widgetDisabledGuild, foreignGuild],
  invites: [
    { code: SMALL_GUILD_INVITE, guildId: SMALL_GUILD_ID, channelId: "1129384756102938480", inviterId: "1040582036471263232" },
    { code: LARGE_GUILD_INVITE, guildId: LARGE_GUILD_ID, channelId: "613425648685547600" },
    {
      code: WIDGET_DISABLED_GUILD_INVITE,
      guildId: WIDGET_DISABLED_GUILD_ID,
      channelId: "874519203746512390",
      inviterId: "330271875190652928"
    },
    { code: FOREIGN_GUILD_INVITE, guildId: FOREIGN_GUILD_ID, channelId: "1098765432109876550", inviterId: "418842145125105665" }
  ],
  bots: [
    {
      token: SANDBOX_BOT_TOKEN,
      user: {
        id: SANDBOX_BOT_USER_ID,
        username: "GuildPulse Sandbox",
        discriminator: "4821",
        avatar: "f0e1d2c3b4a5968778695a4b3c2d1e0f",
        globalName: null
      },
      guildIds: [SMALL_GUILD_ID, LARGE_GUILD_ID, WIDGET_DISABLED_GUILD_ID]
    },
    {
      token: SANDBOX_SECOND_BOT_TOKEN,
      user: {
        id: SANDBOX_SECOND_BOT_USER_ID,
        username: "GuildPulse Sandbox 2",
        discriminator: "0317",
        avatar: null,
        globalName: null
      },
      guildIds: [SMALL_GUILD_ID]
    }
  ]
}

/** Lookup tables built once per server from a fixture set. */
export interface FixtureIndex {
  readonly guilds: ReadonlyMap<string, GuildFixture>
  readonly invites: ReadonlyMap<string, InviteFixture>
  readonly botsByToken: ReadonlyMap<string, BotFixture>
}

export const indexFixtures = (fixtures: SandboxFixtures): FixtureIndex => ({
  guilds: new Map(fixtures.guilds.map((g) => [g.id, g])),
  invites: new Map(fixtures.invites.map((i) => [i.code, i])),
  botsByToken: new Map(fixtures.bots.map((b) => [b.token, b]))
})

/** Public description of a fixture set for `GET /__sandbox/fixtures`; never includes tokens. */
export interface FixtureSummary {
  readonly guilds: ReadonlyArray<{
    readonly id: string
    readonly name: string
    readonly widgetEnabled: boolean
    readonly vanityUrlCode: string | null
    readonly inviteCodes: ReadonlyArray<string>
    readonly botUserIds: ReadonlyArray<string>
  }>
  readonly invites: ReadonlyArray<{ readonly code: string; readonly guildId: string }>
  readonly bots: ReadonlyArray<{ readonly id: string; readonly username: string; readonly guildIds: ReadonlyArray<string> }>
}

export const summarizeFixtures = (fixtures: SandboxFixtures): FixtureSummary => ({
  guilds: fixtures.guilds.map((g) => ({
    id: g.id,
    name: g.name,
    widgetEnabled: g.widgetEnabled,
    vanityUrlCode: g.vanityUrlCode,
    inviteCodes: fixtures.invites.filter((i) => i.guildId === g.id).map((i) => i.code),
    botUserIds: fixtures.bots.filter((b) => b.guildIds.includes(g.id)).map((b) => b.user.id)
  })),
  invites: fixtures.invites.map((i) => ({ code: i.code, guildId: i.guildId })),
  bots: fixtures.bots.map((b) => ({ id: b.user.id, username: b.user.username, guildIds: b.guildIds }))
})
