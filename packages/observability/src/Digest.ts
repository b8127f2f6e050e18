/**
 * The weekly digest per profile: average and peak online, average, peak and growth of members, the share of
 * time the data was fresh ("fresh data uptime": each recorded sample — one per successful live refresh —
 * counts for the profile's ttl after it), the incidents of the week (from `Alerts`, when present), and an
 * analytics section (boost trend, the busiest weekday hours in the digest's time zone, the profile's rank by
 * member growth among all profiles of the run, and all servers together). Sent through the same notifiers as
 * alerts, on a cron schedule (default Monday 09:00 UTC, covering the 7 days before).
 */
import { Clock, Context, Cron, Effect, Either, Layer, Schedule } from "effect"
import { Analytics, AnalyticsStore, ProfileRepository } from "@guildpulse/core"
type DigestAnalytics = NotifierPort.DigestAnalytics
import type { Profile } from "@guildpulse/core"
import { Alerts } from "./Alerts.js"
import type { Incident } from "./Alerts.js"
type Sample = AnalyticsStore.Sample
import { Notifier as NotifierPort } from "@guildpulse/core"
import type { DeliveryResult, DigestReport } from "./Notifier.js"

export const DEFAULT_CRON = "0 9 * * 1"
export const DEFAULT_PERIOD_MS = 7 * 86_400_000

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

/** How long one recorded sample counts as fresh data when the ttl is not given (the recording interval). */
export const DEFAULT_SAMPLE_COVER_MS = 60_000
const dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

/**
 * The share of `[fromMs, toMs)` covered by fresh data: a fresh raw sample covers `coverMs` after it; a bucket
 * covers `fresh × coverMs` of its span (at most the span). Samples of any tier mixed, oldest first.
 */
export const freshCoverage = (samples: ReadonlyArray<Sample>, fromMs: number, toMs: number, coverMs: number): number | null => {
  if (samples.length === 0 || toMs <= fromMs) return null
  let covered = 0
  let reach = fromMs
  for (const sample of samples) {
    const fresh = AnalyticsStore.countOf(sample).fresh
    if (fresh === 0) continue
    const length = sample.bucket !== undefined ? Math.min(sample.bucket.spanMs, fresh * coverMs) : coverMs
    const start = Math.max(sample.atMs, reach)
    const end = Math.min(sample.atMs + length, toMs)
    if (end > start) {
      covered += end - start
      reach = end
    }
  }
  return covered / (toMs - fromMs)
}

/** The analytics section of one profile's week (the cross-profile parts are filled by `withRanking`). */
export const analyticsSection = (samples: ReadonlyArray<Sample>, timeZone: string): DigestAnalytics => {
  const aggregates = Analytics.aggregates(samples)
  const boosts = aggregates.boosts
  return {
    timeZone,
    latestOnline: latestOnline(samples),
    boosts: boosts === null ? null : { first: boosts.first, last: boosts.last, change: boosts.growth, perDay: boosts.perDay },
    busiestHours: Analytics.mostActiveHours([Analytics.heatmap(samples, timeZone)], 3).map((h) => ({
      day: dayNames[h.day] ?? String(h.day),
      hour: h.hour,
      averageOnline: h.average
    })),
    growthRank: null,
    allServers: null
  }
}

/** Every digest of one run with its rank by member growth and all servers' totals (pure). */
export const withRanking = (digests: ReadonlyArray<DigestReport>): Array<DigestReport> => {
  const ranked = digests
    .filter((d) => d.members.growth !== null)
    .sort((a, b) => (b.members.growth ?? 0) - (a.members.growth ?? 0) || (a.profile < b.profile ? -1 : 1))
  const allServers = {
    profiles: digests.length,
    members: digests.reduce((n, d) => n + (d.members.last ?? 0), 0),
    online: digests.reduce((n, d) => n + (d.analytics?.latestOnline ?? 0), 0),
    memberGrowth: digests.reduce((n, d) => n + (d.members.growth ?? 0), 0)
  }
  return digests.map((d) => {
    const rank = ranked.indexOf(d)
    const section = d.analytics
    if (section === undefined) return d
    return { ...d, analytics: { ...section, growthRank: rank < 0 ? null : { rank: rank + 1, of: ranked.length }, allServers } }
  })
}

/** Builds the digest of one profile from its samples and incidents (pure). */
export const compute = (input: {
  readonly profile: Pick<Profile, "key" | "label">
  readonly fromMs: number
  readonly toMs: number
  readonly samples: ReadonlyArray<Sample>
  readonly incidents: ReadonlyArray<Incident>
  /** How long a sample counts as fresh data: the profile's ttl, at least a minute (default a minute). */
  readonly coverMs?: number
  /** Of the busiest hours (default UTC). */
  readonly timeZone?: string
}): DigestReport => {
  // Samples of any tier (raw, 5-minute or hourly buckets of the store's downsampling): averages weighted by
  // the raw samples each stands for, peaks from the buckets' maxima.
  const summary = AnalyticsStore.summarize(input.samples)
  const peakOf = (field: "online" | "members") =>
    input.samples.reduce<{ v: number; at: number } | undefined>((best, s) => {
      const max = AnalyticsStore.aggregateOf(s, field)?.max
      return max === undefined || (best !== undefined && max <= best.v) ? best : { v: max, at: s.atMs }
    }, undefined)
  const peakOnline = peakOf("online")
  const members = input.samples.flatMap((s) => (s.members === undefined ? [] : [s.members]))
  const first = members[0] ?? null
  const last = members[members.length - 1] ?? null
  const growth = first !== null && last !== null ? last - first : null
  const items = input.incidents.map((i) => ({
    rule: i.rule,
    severity: i.severity,
    title: i.title,
    startedAt: new Date(i.startedAtMs).toISOString(),
    resolvedAt: i.resolvedAtMs === undefined ? null : new Date(i.resolvedAtMs).toISOString(),
    durationMinutes: i.resolvedAtMs === undefined ? null : Math.round((i.resolvedAtMs - i.startedAtMs) / 60_000)
  }))
  const byRule: Record<string, number> = {}
  for (const i of input.incidents) byRule[i.rule] = (byRule[i.rule] ?? 0) + 1
  return {
    kind: "digest",
    id: `digest:${input.profile.key}:${input.toMs}`,
    profile: input.profile.key,
    profileLabel: input.profile.label,
    period: { from: new Date(input.fromMs).toISOString(), to: new Date(input.toMs).toISOString() },
    samples: summary.count,
    online: {
      average: summary.online === undefined ? null : round(summary.online.avg),
      peak: peakOnline?.v ?? null,
      peakAt: peakOnline === undefined ? null : new Date(peakOnline.at).toISOString()
    },
    members: {
      average: summary.members === undefined ? null : round(summary.members.avg),
      first,
      last,
      peak: peakOf("members")?.v ?? null,
      growth,
      growthPercent: growth === null || first === null || first === 0 ? null : round((growth / first) * 100, 2)
    },
    freshUptime: ((u) => (u === null ? null : round(u, 4)))(freshCoverage(input.samples, input.fromMs, input.toMs, input.coverMs ?? DEFAULT_SAMPLE_COVER_MS)),
    incidents: { count: items.length, byRule, items },
    analytics: analyticsSection(input.samples, input.timeZone ?? "UTC")
  }
}

const latestOnline = (samples: ReadonlyArray<Sample>): number | null => {
  for (let i = samples.length - 1; i >= 0; i--) {
    const online = samples[i]?.online
    if (online !== undefined) return online
  }
  return null
}

export class Digest extends Context.Tag("@guildpulse/observability/Digest")<
  Digest,
  {
    /** The digest of one profile for `[fromMs, toMs)` (default: the 7 days before now). */
    readonly build: (profile: Profile, period?: { readonly fromMs: number; readonly toMs: number }) => Effect.Effect<DigestReport>
    /** Builds and sends the digest of every profile now. */
    readonly sendAll: Effect.Effect<ReadonlyArray<{ readonly profile: string; readonly results: ReadonlyArray<DeliveryResult> }>>
  }
>() {}

export interface DigestOptions {
  /** Cron expression (UTC unless `timeZone`): default Monday 09:00. */
  readonly cron?: string
  readonly timeZone?: string
  readonly periodMs?: number
  /** Start the schedule (default true). */
  readonly run?: boolean
  /** Only these channels (default all). */
  readonly channels?: ReadonlyArray<string>
}

export const make = (options: DigestOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* AnalyticsStore.AnalyticsStore
    const profiles = yield* ProfileRepository.ProfileRepository
    const notifier = yield* NotifierPort.Notifier
    const alerts = yield* Effect.serviceOption(Alerts)
    const periodMs = options.periodMs ?? DEFAULT_PERIOD_MS

    const build = (profile: Profile, period?: { readonly fromMs: number; readonly toMs: number }) =>
      Effect.gen(function* () {
        const toMs = period?.toMs ?? (yield* Clock.currentTimeMillis)
        const fromMs = period?.fromMs ?? toMs - periodMs
        const samples = yield* Effect.orElseSucceed(store.query({ profile: profile.key, fromMs, toMs }), () => [])
        const incidents = alerts._tag === "Some"
          ? (yield* alerts.value.incidents({ profile: profile.key, sinceMs: fromMs, untilMs: toMs })).filter((i) => i.startedAtMs < toMs)
          : []
        return compute({
          profile, fromMs, toMs, samples, incidents,
          coverMs: Math.max(profile.refresh.ttlSeconds * 1000, DEFAULT_SAMPLE_COVER_MS),
          timeZone: options.timeZone ?? "UTC"
        })
      })

    const sendAll = Effect.gen(function* () {
      const all = yield* Effect.orElseSucceed(profiles.list, () => [] as ReadonlyArray<Profile>)
      // Built first, so each digest can say where its server ranks among all of them.
      const digests = withRanking(yield* Effect.forEach(all, (profile) => build(profile)))
      return yield* Effect.forEach(digests, (digest) =>
        Effect.map(
          notifier.send(digest, options.channels !== undefined ? { channels: options.channels } : undefined),
          (results) => ({ profile: digest.profile, results })
        ))
    }).pipe(Effect.withSpan("Digest.send"))

    if (options.run !== false) {
      const parsed = Cron.parse(options.cron ?? DEFAULT_CRON, options.timeZone ?? "UTC")
      if (Either.isLeft(parsed)) return yield* Effect.dieMessage(`invalid digest cron: ${parsed.left.message}`)
      // `Schedule.cron` computes the next run from now, so a clock jump or a suspended host never replays
      // missed weeks — one digest, at the next matching minute.
      yield* Effect.forkScoped(
        Effect.schedule(
          sendAll.pipe(Effect.catchAllCause((cause) => Effect.logError("weekly digest failed", cause))),
          Schedule.cron(parsed.right)
        )
      )
    }
    return Digest.of({ build, sendAll })
  })

export const layer = (
  options?: DigestOptions
): Layer.Layer<Digest, never, AnalyticsStore.AnalyticsStore | ProfileRepository.ProfileRepository | NotifierPort.Notifier> => Layer.scoped(Digest, make(options))
