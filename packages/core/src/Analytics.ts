/**
 * Use case: what the recorded time series say — a range as a bounded number of points, aggregates (average,
 * peak with its time, growth, boost trend), a day-of-week × hour heatmap in a time zone, several profiles on
 * one time axis, a report over many profiles, and a streamed export (CSV or JSON).
 *
 * The pure functions (`downsample`, `aggregates`, `heatmap`, `compare`, `report`, `csvRow`…) take samples of
 * any tier mixed (raw, 5-minute or hourly buckets of `AnalyticsStore.compact`): a bucket counts for the raw
 * samples it folds and its min/max survive, so peaks are never averaged away. The `Analytics` service runs
 * them over an `AnalyticsStore`; routes and commands only parse their input (`decodeQuery`) and format.
 *
 * Exports read the store a day at a time (`EXPORT_PAGE_MS`), so a year of one-a-minute data never sits in
 * memory: the stream holds one page of rows at most.
 */
import { Chunk, Context, Effect, Layer, Option, Schema, Stream } from "effect"
import { AnalyticsStore, aggregateOf, countOf, mergeAggregates, spanOf, summarize } from "./AnalyticsStore.js"
import type { Aggregate, Downsampled, Field, Sample } from "./AnalyticsStore.js"
import { ValidationError } from "./Errors.js"
import type { StoreError } from "./Errors.js"
import type { ProfileKey } from "./Identifiers.js"
import * as Validation from "./Validation.js"

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/** `[fromMs, toMs)`, epoch milliseconds. */
export interface Range {
  readonly fromMs: number
  readonly toMs: number
}

export interface SeriesOptions extends Range {
  /** At most this many points (≥ 1). */
  readonly maxPoints: number
}

/** One point of a series: the samples of `[atMs, atMs + spanMs)` merged (`spanMs` 0: one raw sample). */
export interface Point {
  readonly atMs: number
  readonly spanMs: number
  /** Raw samples it stands for. */
  readonly count: number
  readonly online?: Aggregate
  readonly members?: Aggregate
  readonly boosts?: Aggregate
}

const withFields = (parts: { readonly online?: Aggregate | undefined; readonly members?: Aggregate | undefined; readonly boosts?: Aggregate | undefined }) => ({
  ...(parts.online !== undefined ? { online: parts.online } : {}),
  ...(parts.members !== undefined ? { members: parts.members } : {}),
  ...(parts.boosts !== undefined ? { boosts: parts.boosts } : {})
})

/** A sample as a point of its own. */
export const pointOf = (sample: Sample): Point => ({
  atMs: sample.atMs,
  spanMs: spanOf(sample),
  count: countOf(sample).count,
  ...withFields({ online: aggregateOf(sample, "online"), members: aggregateOf(sample, "members"), boosts: aggregateOf(sample, "boosts") })
})

const mergedPoint = (atMs: number, spanMs: number, group: ReadonlyArray<Sample>): Point => {
  const summary = summarize(group)
  return { atMs, spanMs, count: summary.count, ...withFields(summary) }
}

const inRange = (samples: ReadonlyArray<Sample>, range: Range): ReadonlyArray<Sample> => {
  const first = samples[0]
  const last = samples[samples.length - 1]
  if (first !== undefined && last !== undefined && first.atMs >= range.fromMs && last.atMs < range.toMs) return samples
  return samples.filter((s) => s.atMs >= range.fromMs && s.atMs < range.toMs)
}

/**
 * At most `maxPoints` points over `[fromMs, toMs)` (samples oldest first). With no more samples than points,
 * every sample is a point. Otherwise the newest sample is the last point, as it is (a chart ends at the
 * current number), and the time from `fromMs` to it is cut into `maxPoints - 1` equal slots, each slot's
 * samples merged into one point (min/max/avg/count): the range is evenly covered, peaks survive. A slot
 * without samples gives no point (a gap stays a gap).
 */
export const downsample = (samples: ReadonlyArray<Sample>, options: SeriesOptions): Array<Point> => {
  const maxPoints = Math.floor(options.maxPoints)
  if (maxPoints < 1) return []
  const list = inRange(samples, options)
  const newest = list[list.length - 1]
  if (newest === undefined) return []
  if (list.length <= maxPoints) return list.map(pointOf)
  if (maxPoints === 1) return [pointOf(newest)]
  const slots = maxPoints - 1
  const widthMs = (newest.atMs - options.fromMs) / slots
  const points: Array<Point> = []
  const startOf = (slot: number) => options.fromMs + Math.round(slot * widthMs)
  let slot = -1
  let group: Array<Sample> = []
  const close = () => {
    if (group.length > 0) points.push(mergedPoint(startOf(slot), startOf(slot + 1) - startOf(slot), group))
    group = []
  }
  for (let i = 0; i < list.length - 1; i++) {
    const sample = list[i] as Sample
    const s = widthMs <= 0 ? 0 : Math.min(slots - 1, Math.floor((sample.atMs - options.fromMs) / widthMs))
    if (s !== slot) {
      close()
      slot = s
    }
    group.push(sample)
  }
  close()
  points.push(pointOf(newest))
  return points
}

/** The points of a series the store downsampled itself: the same as `downsample` over its samples. */
export const pointsOf = (downsampled: Downsampled, fromMs: number): Array<Point> => {
  const startOf = (slot: number) => fromMs + Math.round(slot * downsampled.widthMs)
  const points: Array<Point> = downsampled.slots.map((s) => ({
    atMs: startOf(s.slot),
    spanMs: startOf(s.slot + 1) - startOf(s.slot),
    count: s.count,
    ...withFields(s)
  }))
  points.push(pointOf(downsampled.newest))
  return points
}

// ---------------------------------------------------------------------------------------------------------
// Aggregates

export interface Peak {
  readonly value: number
  /** When: the sample's time, or the start of the bucket holding it. */
  readonly atMs: number
}

export interface FieldAggregates {
  readonly average: number
  readonly min: number
  readonly peak: Peak
  /** The oldest and newest values of the range (a bucket's average) and the change between them. */
  readonly first: number
  readonly last: number
  readonly growth: number
  /** `growth / first × 100`; null when `first` is 0. */
  readonly growthPercent: number | null
}

export interface BoostTrend extends FieldAggregates {
  /** Least-squares slope of boosts over time, per day (weighted by the raw samples each value stands for). */
  readonly perDay: number
  readonly direction: "up" | "down" | "flat"
}

export interface Aggregates {
  /** Raw samples the range holds (a bucket counts for the samples it folds). */
  readonly samples: number
  readonly firstAtMs: number | null
  readonly lastAtMs: number | null
  readonly online: FieldAggregates | null
  readonly members: FieldAggregates | null
  readonly boosts: BoostTrend | null
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits

const fieldAggregates = (samples: ReadonlyArray<Sample>, field: Field): FieldAggregates | null => {
  let first: number | undefined
  let last: number | undefined
  let peak: Peak | undefined
  const parts: Array<Aggregate | undefined> = []
  for (const sample of samples) {
    const a = aggregateOf(sample, field)
    if (a === undefined || a.count === 0) continue
    parts.push(a)
    if (first === undefined) first = a.avg
    last = a.avg
    if (peak === undefined || a.max > peak.value) peak = { value: a.max, atMs: sample.atMs }
  }
  const merged = mergeAggregates(parts)
  if (merged === undefined || first === undefined || last === undefined || peak === undefined) return null
  const growth = last - first
  return {
    average: merged.avg,
    min: merged.min,
    peak,
    first,
    last,
    growth,
    growthPercent: first === 0 ? null : round((growth / first) * 100, 4)
  }
}

const slopePerDay = (samples: ReadonlyArray<Sample>, field: Field): number => {
  let n = 0
  let sumT = 0
  let sumV = 0
  let sumTT = 0
  let sumTV = 0
  const t0 = samples[0]?.atMs ?? 0
  for (const sample of samples) {
    const a = aggregateOf(sample, field)
    if (a === undefined || a.count === 0) continue
    const w = a.count
    const t = (sample.atMs + spanOf(sample) / 2 - t0) / DAY_MS
    n += w
    sumT += w * t
    sumV += w * a.avg
    sumTT += w * t * t
    sumTV += w * t * a.avg
  }
  const denominator = n * sumTT - sumT * sumT
  return n === 0 || denominator === 0 ? 0 : (n * sumTV - sumT * sumV) / denominator
}

/** Average, minimum, peak with its time, and growth of each number; the boost trend (samples oldest first). */
export const aggregates = (samples: ReadonlyArray<Sample>): Aggregates => {
  let count = 0
  for (const sample of samples) count += countOf(sample).count
  const boosts = fieldAggregates(samples, "boosts")
  return {
    samples: count,
    firstAtMs: samples[0]?.atMs ?? null,
    lastAtMs: samples[samples.length - 1]?.atMs ?? null,
    online: fieldAggregates(samples, "online"),
    members: fieldAggregates(samples, "members"),
    boosts: boosts === null
      ? null
      : { ...boosts, perDay: round(slopePerDay(samples, "boosts"), 6), direction: boosts.growth > 0 ? "up" : boosts.growth < 0 ? "down" : "flat" }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Time zones

/** Whether `timeZone` is an IANA time zone this runtime knows (`UTC`, `Europe/Berlin`…). */
export const isTimeZone = (timeZone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone })
    return true
  } catch {
    return false
  }
}

const weekdays: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }
/** Offsets change on quarter hours at most: one `Intl` call per quarter hour of the data. */
const QUARTER_MS = 15 * MINUTE_MS

interface LocalTime {
  /** 0 = Monday … 6 = Sunday. */
  readonly day: number
  readonly hour: number
  /** Local time minus UTC, in minutes. */
  readonly offsetMinutes: number
}

/** `(ms) → local day, hour and offset` in a time zone, cached per quarter hour. */
export const localTimeIn = (timeZone: string): ((ms: number) => LocalTime) => {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    weekday: "short",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric"
  })
  const cache = new Map<number, LocalTime>()
  return (ms) => {
    const quarter = Math.floor(ms / QUARTER_MS)
    const known = cache.get(quarter)
    if (known !== undefined) return known
    const at = quarter * QUARTER_MS
    const parts: Record<string, string> = {}
    for (const part of format.formatToParts(at)) parts[part.type] = part.value
    const local = Date.UTC(Number(parts["year"]), Number(parts["month"]) - 1, Number(parts["day"]), Number(parts["hour"]), Number(parts["minute"]))
    const value: LocalTime = { day: weekdays[parts["weekday"] ?? "Mon"] ?? 0, hour: Number(parts["hour"]), offsetMinutes: Math.round((local - at) / MINUTE_MS) }
    if (cache.size > 100_000) cache.clear()
    cache.set(quarter, value)
    return value
  }
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, "0")

/** `ms` as ISO 8601 in a time zone, with its offset (`2026-12-03T18:00:00+01:00`; `Z` for UTC). */
export const isoIn = (timeZone: string): ((ms: number) => string) => {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return (ms) => new Date(ms).toISOString().replace(".000Z", "Z")
  const local = localTimeIn(timeZone)
  return (ms) => {
    const offset = local(ms).offsetMinutes
    const shifted = new Date(ms + offset * MINUTE_MS).toISOString().slice(0, 19)
    return `${shifted}${offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  }
}

// ---------------------------------------------------------------------------------------------------------
// Heatmap

export interface Heatmap {
  readonly timeZone: string
  readonly field: Field
  /** `average[day][hour]` (day 0 = Monday … 6 = Sunday, local hours 0–23); null where nothing was recorded. */
  readonly average: ReadonlyArray<ReadonlyArray<number | null>>
  readonly peak: ReadonlyArray<ReadonlyArray<number | null>>
  /** Raw samples behind each cell. */
  readonly samples: ReadonlyArray<ReadonlyArray<number>>
}

/**
 * Day-of-week × hour of `field` (default online) in `timeZone`: the average and peak of each local weekday
 * hour over the samples. A bucket counts in the cell of its start (hourly buckets are aligned to UTC hours;
 * in a zone with a half-hour offset one straddles two local hours and goes to the first).
 */
export const heatmap = (samples: ReadonlyArray<Sample>, timeZone: string, field: Field = "online"): Heatmap => {
  const local = localTimeIn(timeZone)
  const sum = Array.from({ length: 7 }, () => new Array<number>(24).fill(0))
  const count = Array.from({ length: 7 }, () => new Array<number>(24).fill(0))
  const peak = Array.from({ length: 7 }, () => new Array<number | null>(24).fill(null))
  for (const sample of samples) {
    const a = aggregateOf(sample, field)
    if (a === undefined || a.count === 0) continue
    const { day, hour } = local(sample.atMs)
    const row = sum[day] as Array<number>
    row[hour] = (row[hour] as number) + a.avg * a.count
    const counts = count[day] as Array<number>
    counts[hour] = (counts[hour] as number) + a.count
    const peaks = peak[day] as Array<number | null>
    const p = peaks[hour]
    if (p === null || p === undefined || a.max > p) peaks[hour] = a.max
  }
  return {
    timeZone,
    field,
    average: sum.map((row, d) => row.map((s, h) => {
      const n = (count[d] as Array<number>)[h] as number
      return n === 0 ? null : round(s / n, 2)
    })),
    peak,
    samples: count
  }
}

export interface ActiveHour {
  readonly day: number
  readonly hour: number
  readonly average: number
}

/** The cells of heatmaps (summed across them: several servers' online) ordered busiest first. */
export const mostActiveHours = (maps: ReadonlyArray<Heatmap>, limit = 5): Array<ActiveHour> => {
  const cells: Array<ActiveHour> = []
  for (let day = 0; day < 7; day++) {
    for (let hour = 0; hour < 24; hour++) {
      let total = 0
      let any = false
      for (const map of maps) {
        const v = map.average[day]?.[hour]
        if (v !== null && v !== undefined) {
          total += v
          any = true
        }
      }
      if (any) cells.push({ day, hour, average: round(total, 2) })
    }
  }
  return cells.sort((a, b) => b.average - a.average || a.day - b.day || a.hour - b.hour).slice(0, limit)
}

// ---------------------------------------------------------------------------------------------------------
// Comparison

export interface Comparison {
  /** The start of each slot: `maxPoints` equal slots over `[fromMs, toMs)`, shared by every profile. */
  readonly axis: ReadonlyArray<number>
  readonly spanMs: number
  readonly series: ReadonlyArray<{
    readonly profile: string
    /** Each slot's average (null: nothing recorded in that slot). */
    readonly online: ReadonlyArray<number | null>
    readonly members: ReadonlyArray<number | null>
    readonly boosts: ReadonlyArray<number | null>
  }>
}

/** Several profiles on one time axis: the same `maxPoints` slots for each, the average of each slot. */
export const compare = (
  series: ReadonlyArray<{ readonly profile: string; readonly samples: ReadonlyArray<Sample> }>,
  options: SeriesOptions
): Comparison => {
  const slots = Math.max(1, Math.floor(options.maxPoints))
  const widthMs = Math.max(1, (options.toMs - options.fromMs) / slots)
  const axis = Array.from({ length: slots }, (_, i) => options.fromMs + Math.round(i * widthMs))
  return {
    axis,
    spanMs: Math.round(widthMs),
    series: series.map(({ profile, samples }) => {
      const groups: Array<Array<Sample>> = Array.from({ length: slots }, () => [])
      for (const sample of inRange(samples, options)) {
        groups[Math.min(slots - 1, Math.floor((sample.atMs - options.fromMs) / widthMs))]?.push(sample)
      }
      const summaries = groups.map((g) => (g.length === 0 ? undefined : summarize(g)))
      const values = (field: Field) => summaries.map((s) => (s?.[field] === undefined ? null : round(s[field].avg, 2)))
      return { profile, online: values("online"), members: values("members"), boosts: values("boosts") }
    })
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report over many profiles

export interface ReportProfile {
  readonly profile: string
  readonly label: string
  readonly aggregates: Aggregates
  /** The newest numbers recorded in the range. */
  readonly latest: { readonly online: number | null; readonly members: number | null; readonly boosts: number | null }
}

export interface Report {
  readonly fromMs: number
  readonly toMs: number
  readonly timeZone: string
  readonly totals: {
    readonly profiles: number
    /** Sums of each profile's newest numbers. */
    readonly online: number
    readonly members: number
    readonly boosts: number
    /** Sum of each profile's average online. */
    readonly averageOnline: number
    /** Sum of the member growth of every profile. */
    readonly memberGrowth: number
    readonly samples: number
  }
  /** Profiles by member growth, largest first (profiles without members last). */
  readonly growth: ReadonlyArray<{ readonly profile: string; readonly label: string; readonly growth: number | null; readonly growthPercent: number | null }>
  /** The busiest local weekday hours of all the profiles together (online summed). */
  readonly mostActiveHours: ReadonlyArray<ActiveHour>
  readonly profiles: ReadonlyArray<ReportProfile>
}

const latestOf = (samples: ReadonlyArray<Sample>, field: Field): number | null => {
  for (let i = samples.length - 1; i >= 0; i--) {
    const v = (samples[i] as Sample)[field]
    if (v !== undefined) return v
  }
  return null
}

/** The report of several profiles over one range: totals, a growth ranking, the most active hours. */
export const report = (
  inputs: ReadonlyArray<{ readonly profile: string; readonly label?: string; readonly samples: ReadonlyArray<Sample> }>,
  options: Range & { readonly timeZone: string }
): Report => {
  const profiles: Array<ReportProfile> = inputs.map((input) => ({
    profile: input.profile,
    label: input.label ?? input.profile,
    aggregates: aggregates(input.samples),
    latest: { online: latestOf(input.samples, "online"), members: latestOf(input.samples, "members"), boosts: latestOf(input.samples, "boosts") }
  }))
  const sum = (f: (p: ReportProfile) => number | null | undefined) => profiles.reduce((s, p) => s + (f(p) ?? 0), 0)
  const growth = profiles
    .map((p) => ({ profile: p.profile, label: p.label, growth: p.aggregates.members?.growth ?? null, growthPercent: p.aggregates.members?.growthPercent ?? null }))
    .sort((a, b) => (a.growth === null ? (b.growth === null ? 0 : 1) : b.growth === null ? -1 : b.growth - a.growth) || (a.profile < b.profile ? -1 : 1))
  return {
    fromMs: options.fromMs,
    toMs: options.toMs,
    timeZone: options.timeZone,
    totals: {
      profiles: profiles.length,
      online: sum((p) => p.latest.online),
      members: sum((p) => p.latest.members),
      boosts: sum((p) => p.latest.boosts),
      averageOnline: round(sum((p) => p.aggregates.online?.average), 2),
      memberGrowth: sum((p) => p.aggregates.members?.growth),
      samples: sum((p) => p.aggregates.samples)
    },
    growth,
    mostActiveHours: mostActiveHours(inputs.map((i) => heatmap(i.samples, options.timeZone))),
    profiles
  }
}

// ---------------------------------------------------------------------------------------------------------
// Export rows

export const ExportFormat = Schema.Literal("csv", "json", "ndjson")
export type ExportFormat = typeof ExportFormat.Type
export const Delimiter = Schema.Literal(",", ";", "\t", "|")
export type Delimiter = typeof Delimiter.Type

export interface ExportOptions extends Range {
  readonly format: ExportFormat
  /** CSV only (default `,`). */
  readonly delimiter?: Delimiter
  /** IANA time zone of the `time` column (default UTC). */
  readonly timeZone?: string
}

/** The columns of an export, in order (a JSON row has the same names; absent numbers are null). */
export const exportColumns = [
  "time",
  "profile",
  "span_seconds",
  "samples",
  "state",
  "online",
  "online_min",
  "online_max",
  "members",
  "members_min",
  "members_max",
  "boosts",
  "boosts_min",
  "boosts_max",
  "presence_online",
  "presence_idle",
  "presence_dnd",
  "presence_sample_size"
] as const
export type ExportColumn = (typeof exportColumns)[number]
export type ExportRow = { readonly [K in ExportColumn]: string | number | null }

/** One sample as an export row; `time` through `iso` (see `isoIn`). */
export const exportRow = (sample: Sample, iso: (ms: number) => string): ExportRow => {
  const o = aggregateOf(sample, "online")
  const m = aggregateOf(sample, "members")
  const b = aggregateOf(sample, "boosts")
  const avg = (a: Aggregate | undefined) => (a === undefined ? null : round(a.avg, 3))
  return {
    time: iso(sample.atMs),
    profile: sample.profile,
    span_seconds: spanOf(sample) / 1000,
    samples: countOf(sample).count,
    state: sample.state,
    online: avg(o),
    online_min: o?.min ?? null,
    online_max: o?.max ?? null,
    members: avg(m),
    members_min: m?.min ?? null,
    members_max: m?.max ?? null,
    boosts: avg(b),
    boosts_min: b?.min ?? null,
    boosts_max: b?.max ?? null,
    presence_online: sample.presence?.online ?? null,
    presence_idle: sample.presence?.idle ?? null,
    presence_dnd: sample.presence?.dnd ?? null,
    presence_sample_size: sample.presence?.sampleSize ?? null
  }
}

const csvCell = (value: string | number | null, delimiter: string): string => {
  if (value === null) return ""
  const text = String(value)
  return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A CSV line (with its `\n`). */
export const csvLine = (values: ReadonlyArray<string | number | null>, delimiter: Delimiter = ","): string =>
  `${values.map((v) => csvCell(v, delimiter)).join(delimiter)}\n`

export const csvHeader = (delimiter: Delimiter = ","): string => csvLine(exportColumns, delimiter)

export const csvRow = (row: ExportRow, delimiter: Delimiter = ","): string => csvLine(exportColumns.map((c) => row[c]), delimiter)

/** How much of the range an export reads at once. */
export const EXPORT_PAGE_MS = DAY_MS

/**
 * The samples of `[fromMs, toMs)` a page at a time, oldest first: a stream that never holds more than one
 * page (`pageMs`, default a day) of samples.
 */
export const streamSamples = (
  store: AnalyticsStore["Type"],
  profile: ProfileKey,
  range: Range,
  pageMs: number = EXPORT_PAGE_MS
): Stream.Stream<Sample, StoreError> =>
  Stream.paginateChunkEffect(range.fromMs, (cursor) =>
    Effect.map(store.query({ profile, fromMs: cursor, toMs: Math.min(range.toMs, cursor + pageMs) }), (page) => {
      const next = cursor + pageMs
      return [Chunk.unsafeFromArray(page), next < range.toMs ? Option.some(next) : Option.none<number>()] as const
    }))

/**
 * The text of an export, a chunk per page: CSV (a header line, then a row per sample), JSON lines (`ndjson`,
 * an object per line) or one JSON array (`json`, streamed element by element).
 */
export const exportText = (samples: Stream.Stream<Sample, StoreError>, options: Omit<ExportOptions, "fromMs" | "toMs">): Stream.Stream<string, StoreError> => {
  const iso = isoIn(options.timeZone ?? "UTC")
  const delimiter = options.delimiter ?? ","
  switch (options.format) {
    case "csv":
      return Stream.concat(Stream.make(csvHeader(delimiter)), Stream.mapChunks(samples, (chunk) => joinChunk(chunk, (s) => csvRow(exportRow(s, iso), delimiter))))
    case "ndjson":
      return Stream.mapChunks(samples, (chunk) => joinChunk(chunk, (s) => `${JSON.stringify(exportRow(s, iso))}\n`))
    case "json": {
      let first = true
      const body = Stream.mapChunks(samples, (chunk) =>
        joinChunk(chunk, (s) => {
          const text = `${first ? "\n" : ",\n"}${JSON.stringify(exportRow(s, iso))}`
          first = false
          return text
        }))
      return Stream.concat(Stream.concat(Stream.make("["), body), Stream.sync(() => (first ? "]\n" : "\n]\n")))
    }
  }
}

/** A chunk of samples as one string (one write per page, not per row). */
const joinChunk = <A>(chunk: Chunk.Chunk<A>, f: (a: A) => string): Chunk.Chunk<string> => {
  if (Chunk.isEmpty(chunk)) return Chunk.empty()
  let text = ""
  for (const a of chunk) text += f(a)
  return Chunk.of(text)
}

// ---------------------------------------------------------------------------------------------------------
// Input of routes and commands

/** The default range of a query without `from`: the 24 hours before `to`. */
export const DEFAULT_RANGE_MS = DAY_MS
export const DEFAULT_MAX_POINTS = 500
export const MAX_POINTS = 5000
/** The longest range a query or export may ask for (a year and a day). */
export const MAX_RANGE_MS = 366 * DAY_MS

const instant = Schema.Union(
  Schema.String.pipe(
    Schema.filter((s) => (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(s) && !Number.isNaN(Date.parse(s))) || /^\d{1,15}$/.test(s), {
      message: () => "must be an ISO 8601 date or instant (2026-12-01, 2026-12-01T00:00:00Z) or epoch milliseconds"
    })
  ),
  Schema.Number
)
const duration = Schema.String.pipe(Schema.pattern(/^\d{1,4}[mhdw]$/, { message: () => "must be a duration such as 90m, 24h, 7d or 4w" }))
const points = Schema.Union(Schema.NumberFromString, Schema.Number).pipe(
  Schema.compose(Schema.Number),
  Schema.int({ message: () => "must be a whole number" }),
  Schema.between(1, MAX_POINTS, { message: () => `must be between 1 and ${MAX_POINTS}` })
)
const timeZone = Schema.String.pipe(Schema.filter(isTimeZone, { message: () => "must be an IANA time zone such as UTC or Europe/Berlin" }))
const profilesList = Schema.Union(Schema.String, Schema.Array(Schema.String))

/** What routes and commands accept (query-string shaped: every value may be a string). */
export const QueryInput = Schema.Struct({
  from: Schema.optional(instant),
  to: Schema.optional(instant),
  /** A range ending at `to` (instead of `from`). */
  range: Schema.optional(duration),
  points: Schema.optional(points),
  tz: Schema.optional(timeZone),
  format: Schema.optional(ExportFormat),
  delimiter: Schema.optional(Schema.Union(Delimiter, Schema.Literal("tab", "comma", "semicolon", "pipe"))),
  /** For `compare`: several profiles (comma-separated or repeated). */
  profiles: Schema.optional(profilesList)
})
export type QueryInput = typeof QueryInput.Encoded

export interface Query extends Range {
  readonly maxPoints: number
  readonly timeZone: string
  readonly format: ExportFormat
  readonly delimiter: Delimiter
  readonly profiles: ReadonlyArray<string>
}

const unit: Record<string, number> = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS }
const namedDelimiters: Record<string, Delimiter> = { tab: "\t", comma: ",", semicolon: ";", pipe: "|" }
const toMs = (value: string | number): number =>
  typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(/T/.test(value) ? value : `${value}T00:00:00Z`)

/**
 * Decodes a query (`from`, `to` or `range`, `points`, `tz`, `format`, `delimiter`, `profiles`) into a
 * `Query` as of `nowMs`: `to` defaults to now, `from` to `to - range` (default 24 h); a bad value fails with a
 * `ValidationError` naming the field.
 */
export const decodeQuery = (input: unknown, nowMs: number): Effect.Effect<Query, ValidationError> =>
  Effect.flatMap(Validation.decode(QueryInput)(input), (q) => {
    const to = q.to !== undefined ? toMs(q.to) : nowMs
    const from = q.from !== undefined
      ? toMs(q.from)
      : to - (q.range !== undefined ? Number(q.range.slice(0, -1)) * (unit[q.range.slice(-1)] ?? DAY_MS) : DEFAULT_RANGE_MS)
    const issue = (field: string, message: string) => Effect.fail(new ValidationError({ issues: [{ field, message }] }))
    if (q.from !== undefined && q.range !== undefined) return issue("range", "give either from or range, not both")
    if (!(from < to)) return issue("from", "must be before to")
    if (to - from > MAX_RANGE_MS) return issue("from", "the range must not be longer than 366 days")
    const delimiter = q.delimiter === undefined ? "," : namedDelimiters[q.delimiter] ?? (q.delimiter as Delimiter)
    const profiles = q.profiles === undefined
      ? []
      : (typeof q.profiles === "string" ? [q.profiles] : q.profiles).flatMap((p) => p.split(",")).map((p) => p.trim()).filter((p) => p !== "")
    return Effect.succeed({
      fromMs: from,
      toMs: to,
      maxPoints: q.points ?? DEFAULT_MAX_POINTS,
      timeZone: q.tz ?? "UTC",
      format: q.format ?? "json",
      delimiter,
      profiles
    })
  })

// ---------------------------------------------------------------------------------------------------------
// The service

export interface Series extends Range {
  readonly profile: string
  readonly maxPoints: number
  readonly points: ReadonlyArray<Point>
}

export class Analytics extends Context.Tag("@guildpulse/core/Analytics")<
  Analytics,
  {
    /** At most `maxPoints` points of `[fromMs, toMs)`, the newest sample last (`downsample`). */
    readonly series: (profile: ProfileKey, options: SeriesOptions) => Effect.Effect<Series, StoreError>
    readonly aggregates: (profile: ProfileKey, range: Range) => Effect.Effect<Aggregates, StoreError>
    readonly heatmap: (profile: ProfileKey, options: Range & { readonly timeZone: string; readonly field?: Field }) => Effect.Effect<Heatmap, StoreError>
    /** Several profiles on one axis of `maxPoints` slots. */
    readonly compare: (profiles: ReadonlyArray<ProfileKey>, options: SeriesOptions) => Effect.Effect<Comparison, StoreError>
    /** The report of the given profiles (those the caller may read). */
    readonly report: (
      profiles: ReadonlyArray<{ readonly key: ProfileKey; readonly label?: string }>,
      options: Range & { readonly timeZone: string }
    ) => Effect.Effect<Report, StoreError>
    /** The samples of the range as text chunks (CSV, JSON lines or a JSON array), read a day at a time. */
    readonly export: (profile: ProfileKey, options: ExportOptions) => Stream.Stream<string, StoreError>
    /** The raw samples a page at a time (for custom formats). */
    readonly samples: (profile: ProfileKey, range: Range) => Stream.Stream<Sample, StoreError>
  }
>() {}

export const make = (store: AnalyticsStore["Type"]): Analytics["Type"] => {
  const query = (profile: ProfileKey, range: Range) => store.query({ profile, fromMs: range.fromMs, toMs: range.toMs })
  return Analytics.of({
    series: (profile, options) => {
      const series = (points: ReadonlyArray<Point>): Series => ({
        profile,
        fromMs: options.fromMs,
        toMs: options.toMs,
        maxPoints: options.maxPoints,
        points
      })
      const merged = Effect.map(query(profile, options), (samples) => series(downsample(samples, options)))
      const maxPoints = Math.floor(options.maxPoints)
      if (store.downsampled === undefined || maxPoints < 2) return merged
      return Effect.flatMap(
        store.downsampled({ profile, fromMs: options.fromMs, toMs: options.toMs }, maxPoints),
        Option.match({ onNone: () => merged, onSome: (d) => Effect.succeed(series(pointsOf(d, options.fromMs))) })
      )
    },
    aggregates: (profile, range) => Effect.map(query(profile, range), aggregates),
    heatmap: (profile, options) => Effect.map(query(profile, options), (samples) => heatmap(samples, options.timeZone, options.field)),
    compare: (profiles, options) =>
      Effect.map(
        Effect.forEach(profiles, (profile) => Effect.map(query(profile, options), (samples) => ({ profile, samples }))),
        (series) => compare(series, options)
      ),
    report: (profiles, options) =>
      Effect.map(
        Effect.forEach(profiles, (p) =>
          Effect.map(query(p.key, options), (samples) => ({ profile: p.key, ...(p.label !== undefined ? { label: p.label } : {}), samples }))),
        (inputs) => report(inputs, options)
      ),
    export: (profile, options) => exportText(streamSamples(store, profile, options), options),
    samples: (profile, range) => streamSamples(store, profile, range)
  })
}

export const layer: Layer.Layer<Analytics, never, AnalyticsStore> = Layer.effect(Analytics, Effect.map(AnalyticsStore, make))
