/**
 * Records one analytics sample per successful live refresh round, and keeps the series within its tiers.
 *
 * - A sample holds what the round's live sources answered: online, members, boosts and the widget's presence
 *   sample, each only when it was fetched in that round. Values carried forward from an earlier round, demo
 *   numbers (a `DemoSource` answer, or a profile's demo fallback) and failed rounds record nothing — a chart
 *   shows a gap rather than a repeated or invented number.
 * - At most one sample per profile per minute (`minIntervalMs`): a profile refreshed every 10 s records every
 *   sixth round. The first round of a profile after a start looks at the store, so a restart does not
 *   record twice within the minute.
 * - The recorder listens to the `Refresher` (`onRound`): it costs one `record` per recorded round, inline
 *   (the stores write behind), and never reads snapshots.
 * - Retention is automatic: every `compactEveryMs` (default hourly) the store is compacted as of now (raw
 *   48 h, 5-minute buckets to 30 days, hourly beyond, nothing past the retention — 90 days by default, per
 *   profile with `retentionByProfile`).
 */
import { Clock, Duration, Effect, Layer, Schedule } from "effect"
import { AnalyticsStore, Refresher } from "@guildpulse/core"
import type { FieldProvenance, StatsFields } from "@guildpulse/core"

export const DEFAULT_MIN_INTERVAL_MS = 60_000
export const DEFAULT_COMPACT_EVERY_MS = 3_600_000

export interface RecorderOptions {
  /** At most one sample per profile in this interval (default one minute). */
  readonly minIntervalMs?: number
  /** How long samples are kept (default `AnalyticsStore.DEFAULT_RETENTION_MS`, 90 days). */
  readonly retentionMs?: number
  /** A retention of its own for some profiles (profile key → ms). */
  readonly retentionByProfile?: Readonly<Record<string, number>>
  /** How often the tiers are applied (default hourly); `false`: never (another process does it). */
  readonly compactEveryMs?: number | false
}

const isLive = (round: Refresher.CompletedRound, provenance: FieldProvenance | undefined): boolean =>
  provenance !== undefined &&
  round.results.some((r) => r.origin !== "demo" && r.source === provenance.source && r.fetchedAtMs === provenance.fetchedAtMs)

/**
 * The sample of a stored round (pure): the numbers its live sources fetched in that round, at the round's
 * time; `undefined` when it has none (a failed, demo-only or carried-forward round).
 */
export const sampleOf = (round: Refresher.CompletedRound): AnalyticsStore.Sample | undefined => {
  const { fields, provenance } = round.snapshot
  const live = <K extends "online" | "members" | "boosts" | "presence">(field: K): StatsFields[K] | undefined =>
    fields[field] !== undefined && isLive(round, provenance[field]) ? fields[field] : undefined
  const online = live("online")
  const members = live("members")
  const boosts = live("boosts")
  const presence = live("presence")
  if (online === undefined && members === undefined && boosts === undefined && presence === undefined) return undefined
  return {
    profile: round.profile.key,
    atMs: round.snapshot.attemptedAtMs,
    state: "fresh",
    ...(online !== undefined ? { online } : {}),
    ...(members !== undefined ? { members } : {}),
    ...(boosts !== undefined ? { boosts } : {}),
    ...(presence !== undefined ? { presence } : {})
  }
}

/**
 * The listener `layer` registers: records a round's sample unless the profile has one within the interval.
 * It runs inline on every round, so it is plain code around as few effects as possible (a skipped round is
 * `Effect.void`, a recorded one the store's `record`): each effect step a round takes counts towards the
 * fiber's yields, which a 1,000-profile round pays for.
 */
export const makeListener = (store: AnalyticsStore.AnalyticsStore["Type"], options: RecorderOptions = {}) => {
  const minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS
  const lastAt = new Map<string, number>()
  const recordUnlessRecent = (sample: AnalyticsStore.Sample, last: number | undefined): Effect.Effect<void> => {
    if (last !== undefined && sample.atMs - last < minIntervalMs) return Effect.void
    lastAt.set(sample.profile, sample.atMs)
    return Effect.catchAll(store.record(sample), (error) => Effect.logWarning(`analytics sample not recorded: ${error.message}`))
  }
  return (round: Refresher.CompletedRound): Effect.Effect<void> => {
    const sample = sampleOf(round)
    if (sample === undefined) return Effect.void
    const last = lastAt.get(sample.profile)
    if (last !== undefined) return recordUnlessRecent(sample, last)
    // First round of this profile in this process: a sample stored by an earlier run counts.
    return Effect.flatMap(
      Effect.orElseSucceed(
        store.query({ profile: sample.profile, fromMs: sample.atMs - minIntervalMs + 1, toMs: sample.atMs + 1 }),
        () => []
      ),
      (recent) => recordUnlessRecent(sample, recent[recent.length - 1]?.atMs)
    )
  }
}

/** Registers the recorder on the `Refresher` and applies the tiers on a schedule, for the layer's lifetime. */
export const layer = (
  options: RecorderOptions = {}
): Layer.Layer<never, never, AnalyticsStore.AnalyticsStore | Refresher.Refresher> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const store = yield* AnalyticsStore.AnalyticsStore
      const refresher = yield* Refresher.Refresher
      yield* refresher.onRound(makeListener(store, options))
      if (options.compactEveryMs === false) return
      const tiers = {
        retentionMs: options.retentionMs ?? AnalyticsStore.DEFAULT_RETENTION_MS,
        ...(options.retentionByProfile !== undefined ? { retentionByProfile: options.retentionByProfile } : {})
      }
      const compact = Effect.flatMap(Clock.currentTimeMillis, (now) => store.compact(now, tiers))
      yield* Effect.forkScoped(
        Effect.repeat(
          Effect.catchAll(compact, (error) => Effect.logWarning(`analytics compaction failed: ${error.message}`)),
          Schedule.spaced(Duration.millis(options.compactEveryMs ?? DEFAULT_COMPACT_EVERY_MS))
        )
      )
    })
  )
