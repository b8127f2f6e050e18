/**
 * Benchmark fixtures: `count` guilds that one bench bot has joined, generated deterministically so that the
 * sandbox process and the benchmark agree on them without passing 2,000 objects around.
 */
import type { GuildFixture, SandboxFixtures } from "../src/sandbox/index.js"
import { COUNTS_EPOCH_MS } from "../src/sandbox/index.js"

/** Sandbox-only token of the bench bot (not in Discord's token format). */
export const BENCH_BOT_TOKEN = "sandbox.guildpulse-bench-bot.000000000000000000000001"
export const BENCH_BOT_USER_ID = "1300000000000000001"

export const benchGuildIds = (count: number): ReadonlyArray<string> =>
  Array.from({ length: count }, (_, i) => String(800_000_000_000_000_000n + BigInt(i)))

const guild = (id: string, i: number): GuildFixture => ({
  id,
  name: `Bench Guild ${i}`,
  icon: i % 3 === 0 ? null : `${i % 2 === 0 ? "a_" : ""}${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, "0")}0000000000000000000000aa`,
  banner: null,
  splash: null,
  discoverySplash: null,
  description: i % 2 === 0 ? `Bench guild number ${i}` : null,
  features: ["COMMUNITY"],
  premiumTier: (i % 4) as 0 | 1 | 2 | 3,
  premiumSubscriptionCount: i % 40,
  vanityUrlCode: null,
  verificationLevel: 1,
  nsfwLevel: 0,
  widgetEnabled: true,
  widgetChannelId: null,
  instantInviteCode: null,
  ownerId: "1300000000000000002",
  preferredLocale: "en-US",
  channels: [{ id: String(900_000_000_000_000_000n + BigInt(i)), name: "general", position: 0, type: 0 }],
  counts: {
    epochMs: COUNTS_EPOCH_MS,
    baseMembers: 500 + ((i * 7919) % 50_000),
    memberSwing: 10,
    memberPeriodDays: 28,
    memberWobble: 2,
    baseOnline: 50 + ((i * 104729) % 5_000),
    dailySwing: 0.2,
    peakHourUtc: 19,
    onlineWobble: 0.02
  }
})

export const benchFixtures = (count: number): SandboxFixtures => {
  const ids = benchGuildIds(count)
  return {
    guilds: ids.map(guild),
    invites: [],
    bots: [
      {
        token: BENCH_BOT_TOKEN,
        user: { id: BENCH_BOT_USER_ID, username: "GuildPulse Bench", discriminator: "0", avatar: null, globalName: null },
        guildIds: ids
      }
    ]
  }
}
