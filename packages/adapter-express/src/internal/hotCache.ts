/**
 * The hot path of `GET …/stats`: a per-profile memo of the last *fresh* public answer, valid only until the
 * view would change on its own — the next tick of `freshness.ageSeconds` (at most one second), and never past
 * `expiresAt`. Within that window the engine would return byte-identical JSON, so the answer is served without
 * running an effect at all (the engine's counters are still updated, directly).
 *
 * What it may lag behind, by less than a second: a refresh landing, or a profile changed by another process
 * (changes made through this router invalidate the entry at once). Only anonymous answers of public profiles
 * in the `fresh` state are memoised; everything else goes through the engine every time.
 */
import { CoreMetrics, type StatsView } from "@guildpulse/core"
import type { SerializedView } from "./viewCache.js"

export interface HotEntry {
  readonly serialized: SerializedView
  /** Engine time (ms) until which the answer is byte-identical to what the engine would produce. */
  readonly validUntilMs: number
}

const MAX_WINDOW_MS = 1000
const MAX_ENTRIES = 10_000

export interface HotCache {
  readonly get: (profile: string, nowMs: number) => SerializedView | undefined
  readonly remember: (view: StatsView, serialized: SerializedView, nowMs: number) => void
  readonly forget: (profile: string) => void
}

const noLabels: ReadonlyArray<never> = []

export const make = (): HotCache => {
  const entries = new Map<string, HotEntry>()
  return {
    get: (profile, nowMs) => {
      const entry = entries.get(profile)
      if (entry === undefined) return undefined
      if (nowMs >= entry.validUntilMs) {
        entries.delete(profile)
        return undefined
      }
      CoreMetrics.cacheLookupsByResult.hit.unsafeUpdate(1, noLabels)
      CoreMetrics.statsServedByState.fresh.unsafeUpdate(1, noLabels)
      return entry.serialized
    },
    remember: (view, serialized, nowMs) => {
      const f = view.freshness
      if (f.state !== "fresh" || f.fetchedAt === null || f.expiresAt === null || f.ageSeconds === null) return
      const fetchedAtMs = Date.parse(f.fetchedAt)
      const nextTickMs = fetchedAtMs + (f.ageSeconds + 1) * 1000
      const validUntilMs = Math.min(nextTickMs, Date.parse(f.expiresAt), nowMs + MAX_WINDOW_MS)
      if (!(validUntilMs > nowMs)) return
      if (entries.size >= MAX_ENTRIES && !entries.has(view.profile)) entries.clear()
      entries.set(view.profile, { serialized, validUntilMs })
    },
    forget: (profile) => void entries.delete(profile)
  }
}

/** A memo that remembers nothing (every request runs the engine). */
export const disabled: HotCache = { get: () => undefined, remember: () => undefined, forget: () => undefined }
