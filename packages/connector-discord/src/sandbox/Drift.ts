/**
 * Count drift: pure functions of (fixture, instant). Time is quantised to the minute, so every request
 * within the same UTC minute sees the same numbers and refreshes minutes apart see different ones; the
 * invite endpoint additionally quantises to `INVITE_COUNTS_CACHE_MS`, like Discord's cached invite counts.
 */
import type { GuildFixture } from "./Fixtures.js"
import { hexOf, signedUnit, unit } from "./internal/hash.js"

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** Discord serves invite counts from a cache that lags by minutes; the sandbox uses 5-minute steps. */
export const INVITE_COUNTS_CACHE_MS = 300_000

/** The widget lists at most this many (anonymised) members. */
export const WIDGET_MEMBER_LIMIT = 100

export interface GuildCounts {
  readonly memberCount: number
  readonly presenceCount: number
}

export type PresenceStatus = "online" | "idle" | "dnd"

export interface WidgetMember {
  readonly id: string
  readonly username: string
  readonly discriminator: "0000"
  readonly avatar: null
  readonly status: PresenceStatus
  readonly avatar_url: string
  readonly activity?: { readonly name: string }
}

export interface PresenceBreakdown {
  readonly online: number
  readonly idle: number
  readonly dnd: number
}

/** Member and presence counts of `guild` at `nowMs`, constant within a UTC minute. */
export const countsAt = (guild: GuildFixture, nowMs: number): GuildCounts => {
  const minute = Math.floor(nowMs / MINUTE_MS)
  const t = minute * MINUTE_MS
  const c = guild.counts
  const days = (t - c.epochMs) / DAY_MS
  const memberCount = Math.max(
    1,
    Math.round(
      c.baseMembers +
        c.memberSwing * Math.sin((2 * Math.PI * days) / c.memberPeriodDays) +
        c.memberWobble * signedUnit(guild.id, "members", minute)
    )
  )
  const hourUtc = (((t % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS
  const daily = Math.cos((2 * Math.PI * (hourUtc - c.peakHourUtc)) / 24)
  const online = c.baseOnline * (1 + c.dailySwing * daily) * (1 + c.onlineWobble * signedUnit(guild.id, "online", minute))
  const presenceCount = Math.min(memberCount, Math.max(0, Math.round(online)))
  return { memberCount, presenceCount }
}

/** Counts as the invite endpoint reports them: the value at the start of the current cache step. */
export const inviteCountsAt = (guild: GuildFixture, nowMs: number, cacheMs: number = INVITE_COUNTS_CACHE_MS): GuildCounts =>
  countsAt(guild, cacheMs > 0 ? Math.floor(nowMs / cacheMs) * cacheMs : nowMs)

const ADJECTIVES = [
  "Amber", "Brisk", "Cosmic", "Dusty", "Electric", "Fuzzy", "Gentle", "Hidden", "Icy", "Jolly",
  "Lucky", "Mellow", "Neon", "Odd", "Pixel", "Quiet", "Rusty", "Silent", "Tiny", "Velvet"
]
const NOUNS = [
  "Otter", "Falcon", "Badger", "Comet", "Dragon", "Fox", "Gecko", "Heron", "Koala", "Lynx",
  "Moth", "Newt", "Owl", "Panda", "Raven", "Sparrow", "Tiger", "Walrus", "Yak", "Zebra"
]
const GAMES = ["Minecraft", "Rocket League", "Stardew Valley", "Factorio", "Celeste", "Valorant", "Hades", "Terraria"]

const statusFor = (roll: number): PresenceStatus => (roll < 0.62 ? "online" : roll < 0.85 ? "idle" : "dnd")

/**
 * The widget's anonymised member sample at `nowMs`: min(100, presence_count) entries with sequential ids,
 * `discriminator: "0000"`, `avatar: null`, statuses online/idle/dnd. Stable within a minute.
 */
export const widgetMembersAt = (guild: GuildFixture, nowMs: number): ReadonlyArray<WidgetMember> => {
  const minute = Math.floor(nowMs / MINUTE_MS)
  const size = Math.min(WIDGET_MEMBER_LIMIT, countsAt(guild, nowMs).presenceCount)
  const members: Array<WidgetMember> = []
  for (let i = 0; i < size; i++) {
    const seed = (salt: string): number => unit(guild.id, "widget", minute, i, salt)
    const username = `${ADJECTIVES[Math.floor(seed("adj") * ADJECTIVES.length)]}${NOUNS[Math.floor(seed("noun") * NOUNS.length)]}`
    const base = {
      id: String(i),
      username,
      discriminator: "0000" as const,
      avatar: null,
      status: statusFor(seed("status")),
      avatar_url: `https://cdn.discordapp.com/widget-avatars/${hexOf(43, guild.id, minute, i, "token")}/${hexOf(64, guild.id, minute, i, "avatar")}`
    }
    const playing = seed("activity")
    members.push(playing < 0.3 ? { ...base, activity: { name: GAMES[Math.floor((playing / 0.3) * GAMES.length)] ?? "Minecraft" } } : base)
  }
  return members
}

/** How the widget sample at `nowMs` splits by status. */
export const presenceBreakdownAt = (guild: GuildFixture, nowMs: number): PresenceBreakdown => {
  const breakdown = { online: 0, idle: 0, dnd: 0 }
  for (const member of widgetMembersAt(guild, nowMs)) breakdown[member.status]++
  return breakdown
}
