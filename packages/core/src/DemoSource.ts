/**
 * Deterministic demo numbers that drift over the day — for previews and the `demo` fallback. Everything it
 * produces is labelled `demo` (provenance and freshness state), never passed off as Discord's numbers.
 */
import { Effect, Layer } from "effect"
import type { StatsFields } from "./GuildStats.js"
import type { Profile } from "./Profile.js"
import { StatsSource } from "./StatsSource.js"

const DAY_MS = 86_400_000

/** A stable 32-bit hash of a string (FNV-1a), so each profile gets its own demo guild size. */
export const hash32 = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Demo numbers for a guild at a time: a daily curve (peak in the evening UTC) plus a small per-minute wobble. */
export const demoFields = (seed: string, name: string, nowMs: number): StatsFields => {
  const h = hash32(seed)
  const members = 800 + (h % 9_200)
  const dayPhase = ((nowMs % DAY_MS) / DAY_MS) * 2 * Math.PI
  const daily = 0.5 + 0.5 * Math.sin(dayPhase - Math.PI / 2 - 0.6)
  const minute = Math.floor(nowMs / 60_000)
  const wobble = (hash32(`${seed}:${minute}`) % 21) - 10
  const online = Math.max(1, Math.round(members * (0.08 + 0.14 * daily)) + wobble)
  const sampleSize = Math.min(100, online)
  const idle = Math.round(sampleSize * 0.27)
  const dnd = Math.round(sampleSize * 0.12)
  const boosts = h % 30
  return {
    name,
    online,
    members: members + Math.floor(nowMs / DAY_MS) % 7,
    boosts,
    boostTier: boosts >= 14 ? 3 : boosts >= 7 ? 2 : boosts >= 2 ? 1 : 0,
    presence: { online: sampleSize - idle - dnd, idle, dnd, sampleSize }
  }
}

export const demoFieldsFor = (profile: Profile, nowMs: number): StatsFields =>
  demoFields(profile.guildId, profile.label, nowMs)

/**
 * A `StatsSource` that answers every source with demo numbers, labelled `demo` — runs the whole engine
 * end to end without Discord.
 */
export const layer: Layer.Layer<StatsSource> = Layer.succeed(
  StatsSource,
  StatsSource.of({
    fetch: (request) =>
      Effect.map(Effect.clockWith((clock) => clock.currentTimeMillis), (nowMs) => ({
        source: request.source,
        fetchedAtMs: nowMs,
        fields: demoFieldsFor(request.profile, nowMs),
        origin: "demo" as const
      }))
  })
)
