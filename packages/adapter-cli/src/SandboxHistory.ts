/**
 * `serve --sandbox` starts with a month of history: for every profile whose guild is one of the sandbox's, the
 * analytics store gets a sample every 5 minutes over the last 30 days, computed from the sandbox's own
 * deterministic curve (`countsAt`), so charts, the report and the widget's sparkline have something to show.
 *
 * These samples are labelled as what they are: their `state` is `demo` (never `fresh`), the state GuildPulse
 * gives to numbers that are not live Discord data. A profile that already has samples in the period is left
 * alone (a restart on a durable store does not fill twice).
 */
import { type AnalyticsStore as Store, AnalyticsStore, type Profile, type ProfileKey } from "@guildpulse/core"
import { countsAt, type SandboxFixtures } from "@guildpulse/connector-discord/sandbox"
import { Clock, Effect } from "effect"

export const HISTORY_DAYS = 30
export const HISTORY_STEP_MS = 5 * 60_000
const DAY_MS = 86_400_000

/** The samples of one sandbox guild over `[nowMs - days, nowMs)`, oldest first, labelled `demo`. */
export const historyOf = (
  profile: ProfileKey,
  guild: SandboxFixtures["guilds"][number],
  nowMs: number,
  days: number = HISTORY_DAYS,
  stepMs: number = HISTORY_STEP_MS
): Array<Store.Sample> => {
  const samples: Array<Store.Sample> = []
  const end = Math.floor(nowMs / stepMs) * stepMs
  for (let at = end - days * DAY_MS; at < end; at += stepMs) {
    const counts = countsAt(guild, at)
    samples.push({ profile, atMs: at, online: counts.presenceCount, members: counts.memberCount, boosts: guild.premiumSubscriptionCount, state: "demo" })
  }
  return samples
}

/** Fills the history of the profiles that show a sandbox guild and have none yet; the number of samples written. */
export const fill = (fixtures: SandboxFixtures, profiles: ReadonlyArray<Profile>, days: number = HISTORY_DAYS) =>
  Effect.gen(function*() {
    const store = yield* AnalyticsStore.AnalyticsStore
    const nowMs = yield* Clock.currentTimeMillis
    let written = 0
    for (const profile of profiles) {
      const guild = fixtures.guilds.find((g) => g.id === profile.guildId)
      if (guild === undefined) continue
      const existing = yield* store.query({ profile: profile.key, fromMs: nowMs - days * DAY_MS, toMs: nowMs + 1 })
      if (existing.length > 0) continue
      for (const sample of historyOf(profile.key, guild, nowMs, days)) yield* store.record(sample)
      written += days * (DAY_MS / HISTORY_STEP_MS)
    }
    return written
  })
