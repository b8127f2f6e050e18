/**
 * The weekly digest per profile: average and peak online, average, peak and growth of members, the share of
 * time the data was fresh ("fresh data uptime", from the recorder's regular samples), and the incidents of
 * the week (from `Alerts`, when present). Sent through the same notifiers as alerts, on a cron schedule
 * (default Monday 09:00 UTC, covering the 7 days before).
 */
import { Clock, Context, Cron, Effect, Either, Layer, Schedule } from "effect"
import { AnalyticsStore, ProfileRepository } from "@guildpulse/core"
import type { Profile } from "@guildpulse/core"
import { Alerts } from "./Alerts.js"
import type { Incident } from "./Alerts.js"
type Sample = AnalyticsStore.Sample
import { Notifier as NotifierPort } from "@guildpulse/core"
import type { DeliveryResult, DigestReport } from "./Notifier.js"

export const DEFAULT_CRON = "0 9 * * 1"
export const DEFAULT_PERIOD_MS = 7 * 86_400_000

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

/** Builds the digest of one profile from its samples and incidents (pure). */
export const compute = (input: {
  readonly profile: Pick<Profile, "key" | "label">
  readonly fromMs: number
  readonly toMs: number
  readonly samples: ReadonlyArray<Sample>
  readonly incidents: ReadonlyArray<Incident>
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
    freshUptime: summary.count === 0 ? null : round(summary.fresh / summary.count, 4),
    incidents: { count: items.length, byRule, items }
  }
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
        return compute({ profile, fromMs, toMs, samples, incidents })
      })

    const sendAll = Effect.gen(function* () {
      const all = yield* Effect.orElseSucceed(profiles.list, () => [] as ReadonlyArray<Profile>)
      return yield* Effect.forEach(all, (profile) =>
        Effect.gen(function* () {
          const digest = yield* build(profile)
          const results = yield* notifier.send(digest, options.channels !== undefined ? { channels: options.channels } : undefined)
          return { profile: profile.key, results }
        })
      )
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
