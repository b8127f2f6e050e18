/**
 * `AnalyticsStore` on the database file: the time series per profile (online, members, freshness state).
 *
 * - `record` is written behind with the next flush (a sample a minute per profile is on the refresh path);
 *   queries read the file and what is still pending, so they see every sample recorded before them.
 * - Downsampling tiers (`compact`, core's rules: raw for 48 h, 5-minute buckets to 30 days, hourly beyond,
 *   nothing past the retention of 90 days, per profile). A bucket row keeps how many raw samples it folds, how
 *   many were fresh, and min/max/sum/count of online and members, so peaks and averages survive. Every
 *   maintenance run of the database (default every 15 minutes) compacts as of the current time with the
 *   store's tiers: the file's size is bounded without anyone asking.
 */
import { Clock, Context, Effect, Layer, Option, Scope } from "effect"
import { AnalyticsStore, FreshnessState, PresenceSample } from "@guildpulse/core"
import type { ProfileKey, StoreError } from "@guildpulse/core"
import { Schema } from "effect"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "analytics"
const isState = Schema.is(FreshnessState)

export interface SqliteAnalyticsStoreOptions {
  /** The tiers maintenance applies (default `AnalyticsStore.DEFAULT_TIERS`). */
  readonly tiers?: Partial<AnalyticsStore.Tiers>
}

export interface SqliteAnalyticsStoreService extends Context.Tag.Service<AnalyticsStore.AnalyticsStore> {
  /** Compacts now (Effect's `Clock`) with the store's tiers: what maintenance runs. */
  readonly applyPolicy: Effect.Effect<AnalyticsStore.CompactionReport, StoreError>
}

export class SqliteAnalyticsStore extends Context.Tag("@guildpulse/store-sqlite/SqliteAnalyticsStore")<SqliteAnalyticsStore, SqliteAnalyticsStoreService>() {}

const COLUMNS =
  "profile, at_ms, online, members, state, span_ms, n, fresh_n, online_min, online_max, online_sum, online_n, members_min, members_max, members_sum, members_n, " +
  "boosts, boosts_min, boosts_max, boosts_sum, boosts_n, presence"
type Num = number | null
type Row = [string, number, Num, Num, string, number, Num, Num, Num, Num, Num, Num, Num, Num, Num, Num, Num, Num, Num, Num, Num, string | null]
const isPresence = Schema.is(PresenceSample)

const presenceOf = (json: string | null): PresenceSample | undefined => {
  if (json === null) return undefined
  try {
    const value: unknown = JSON.parse(json)
    return isPresence(value) ? value : undefined
  } catch {
    return undefined
  }
}

const aggregate = (min: Num, max: Num, sum: Num, n: Num): AnalyticsStore.Aggregate | undefined =>
  min === null || max === null || sum === null || n === null || Number(n) === 0
    ? undefined
    : { min: Number(min), max: Number(max), avg: Number(sum) / Number(n), count: Number(n) }

const toSample = (row: Row): AnalyticsStore.Sample | undefined => {
  const [profile, atMs, online, members, state, spanMs, n, freshN, oMin, oMax, oSum, oN, mMin, mMax, mSum, mN, boosts, bMin, bMax, bSum, bN, presenceJson] = row
  if (!isState(state)) return undefined
  const base = { profile: profile as ProfileKey, atMs: Number(atMs) }
  if (Number(spanMs) === 0) {
    const presence = presenceOf(presenceJson)
    return {
      ...base,
      ...(online !== null ? { online: Number(online) } : {}),
      ...(members !== null ? { members: Number(members) } : {}),
      ...(boosts !== null ? { boosts: Number(boosts) } : {}),
      ...(presence !== undefined ? { presence } : {}),
      state
    }
  }
  const o = aggregate(oMin, oMax, oSum, oN)
  const m = aggregate(mMin, mMax, mSum, mN)
  const b = aggregate(bMin, bMax, bSum, bN)
  return {
    ...base,
    ...(o !== undefined ? { online: o.avg } : {}),
    ...(m !== undefined ? { members: m.avg } : {}),
    ...(b !== undefined ? { boosts: b.avg } : {}),
    state,
    bucket: {
      spanMs: Number(spanMs),
      count: Number(n ?? 1),
      fresh: Number(freshN ?? 0),
      ...(o !== undefined ? { online: o } : {}),
      ...(m !== undefined ? { members: m } : {}),
      ...(b !== undefined ? { boosts: b } : {})
    }
  }
}

const aggregateColumns = (a: AnalyticsStore.Aggregate | undefined): [Num, Num, Num, Num] =>
  a === undefined ? [null, null, null, null] : [a.min, a.max, a.avg * a.count, a.count]

const toRow = (s: AnalyticsStore.Sample): Row => {
  const b = s.bucket
  if (b === undefined) {
    return [
      s.profile, s.atMs, s.online ?? null, s.members ?? null, s.state, 0, null, null, null, null, null, null, null, null, null, null,
      s.boosts ?? null, null, null, null, null, s.presence !== undefined ? JSON.stringify(s.presence) : null
    ]
  }
  // A bucket's online, members and boosts columns stay empty: its averages are sum / count.
  return [
    s.profile, s.atMs, null, null, s.state, b.spanMs, b.count, b.fresh, ...aggregateColumns(b.online), ...aggregateColumns(b.members),
    null, ...aggregateColumns(b.boosts), null
  ]
}

export const make = (options: SqliteAnalyticsStoreOptions = {}): Effect.Effect<SqliteAnalyticsStoreService, never, SqliteDatabase | Scope.Scope> =>
  Effect.gen(function* () {
    const database = yield* SqliteDatabase
    const storeTiers = { ...AnalyticsStore.DEFAULT_TIERS, ...options.tiers }
    const insert = database.db.prepare(`INSERT INTO samples (${COLUMNS}) VALUES (${COLUMNS.split(",").map(() => "?").join(", ")})`)
    const select = database.db.prepare(`SELECT ${COLUMNS} FROM samples WHERE profile = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms, rowid`).raw(true)
    const pruneStatement = database.db.prepare("DELETE FROM samples WHERE at_ms < ?")
    const deleteStatement = database.db.prepare("DELETE FROM samples WHERE profile = ?")
    const dropProfile = database.db.prepare("DELETE FROM samples WHERE profile = ? AND at_ms < ?")
    const dropOthers = database.db.prepare("DELETE FROM samples WHERE at_ms < ? AND profile NOT IN (SELECT value FROM json_each(?))")
    const tierRows = database.db.prepare(`SELECT ${COLUMNS} FROM samples WHERE span_ms < ? AND at_ms < ? ORDER BY profile, at_ms, rowid`).raw(true)
    const tierDelete = database.db.prepare("DELETE FROM samples WHERE span_ms < ? AND at_ms < ?")
    let pending: Array<AnalyticsStore.Sample> = []

    // Downsampling inside the database: a month is ~11,000 rows, and handing rows to JavaScript is what costs.
    const countInRange = database.db.prepare("SELECT count(*) FROM samples WHERE profile = ? AND at_ms >= ? AND at_ms < ?").raw(true)
    const newestInRange = database.db
      .prepare(`SELECT rowid, ${COLUMNS} FROM samples WHERE profile = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms DESC, rowid DESC LIMIT 1`)
      .raw(true)
    // A raw row (span_ms 0) counts as a bucket of one; float division as in JavaScript, truncated (≥ 0: floor).
    const field = (name: string) =>
      `min(CASE WHEN span_ms = 0 THEN ${name} ELSE ${name}_min END), max(CASE WHEN span_ms = 0 THEN ${name} ELSE ${name}_max END), ` +
      `sum(CASE WHEN span_ms = 0 THEN ${name} ELSE ${name}_sum END), sum(CASE WHEN span_ms = 0 THEN ${name} IS NOT NULL ELSE coalesce(${name}_n, 0) END)`
    const slotSummaries = database.db
      .prepare(
        `SELECT min(?, CAST(CAST(at_ms - ? AS REAL) / ? AS INTEGER)) AS slot, sum(CASE WHEN span_ms = 0 THEN 1 ELSE coalesce(n, 1) END), ` +
          `${field("online")}, ${field("members")}, ${field("boosts")} ` +
          "FROM samples WHERE profile = ? AND at_ms >= ? AND at_ms < ? AND rowid <> ? GROUP BY slot ORDER BY slot"
      )
      .raw(true)

    const downsampled = (q: AnalyticsStore.SampleQuery, maxPoints: number) =>
      database.read(STORE, () => {
        // Samples not yet written are merged by the caller's path.
        if (maxPoints < 2 || pending.some((s) => s.profile === q.profile && s.atMs >= q.fromMs && s.atMs < q.toMs)) return Option.none()
        const [count] = countInRange.get(q.profile, q.fromMs, q.toMs) as [number]
        if (Number(count) <= maxPoints) return Option.none()
        const row = newestInRange.get(q.profile, q.fromMs, q.toMs) as [number, ...Row] | undefined
        const newest = row === undefined ? undefined : toSample(row.slice(1) as Row)
        if (row === undefined || newest === undefined) return Option.none()
        const widthMs = AnalyticsStore.slotWidth(newest.atMs, q.fromMs, maxPoints)
        if (!(widthMs > 0)) return Option.none()
        const rows = slotSummaries.all(maxPoints - 2, q.fromMs, widthMs, q.profile, q.fromMs, q.toMs, row[0]) as Array<Array<Num>>
        const slots = rows.map(([slot, n, ...fields]): AnalyticsStore.SlotSummary => {
          const [o, m, b] = [0, 4, 8].map((i) => aggregate(fields[i] ?? null, fields[i + 1] ?? null, fields[i + 2] ?? null, fields[i + 3] ?? null))
          return {
            slot: Number(slot),
            count: Number(n),
            ...(o !== undefined ? { online: o } : {}),
            ...(m !== undefined ? { members: m } : {}),
            ...(b !== undefined ? { boosts: b } : {})
          }
        })
        return Option.some<AnalyticsStore.Downsampled>({ newest, widthMs, slots })
      })

    yield* database.registerWriteBehind({
      name: STORE,
      take: () => {
        if (pending.length === 0) return undefined
        const taken = pending
        pending = []
        return {
          count: taken.length,
          write: () => {
            for (const s of taken) insert.run(...toRow(s))
          },
          requeue: () => {
            pending = [...taken, ...pending]
          }
        }
      }
    })

    /** Folds every row finer than `bucketMs` before `beforeMs` into whole buckets (core's `fold`, per profile). */
    const foldTier = (beforeMs: number, bucketMs: number) => {
      const rows = tierRows.all(bucketMs, beforeMs) as Array<Row>
      if (rows.length === 0) return { folded: 0, buckets: 0 }
      let buckets = 0
      let series: Array<AnalyticsStore.Sample> = []
      const made: Array<AnalyticsStore.Sample> = []
      const close = () => {
        const folded = AnalyticsStore.fold(series, bucketMs)
        buckets += folded.length
        made.push(...folded)
        series = []
      }
      for (const row of rows) {
        const sample = toSample(row)
        if (sample === undefined) continue
        if (series[0] !== undefined && series[0].profile !== sample.profile) close()
        series.push(sample)
      }
      close()
      tierDelete.run(bucketMs, beforeMs)
      for (const sample of made) insert.run(...toRow(sample))
      return { folded: rows.length, buckets }
    }

    const compact = (nowMs: number, tiers?: Partial<AnalyticsStore.Tiers>) =>
      Effect.gen(function* () {
        const all = { ...storeTiers, ...tiers }
        const cut = AnalyticsStore.cutoffs(nowMs, all)
        const own = Object.entries(all.retentionByProfile ?? {})
        if (![cut.dropBeforeMs, cut.coarseBeforeMs, cut.fineBeforeMs].every(Number.isSafeInteger)) return { folded: 0, buckets: 0, dropped: 0 }
        yield* database.flush
        return yield* database.write(STORE, () => {
          let dropped = 0
          for (const [profile, retentionMs] of own) dropped += dropProfile.run(profile, nowMs - retentionMs).changes
          dropped += dropOthers.run(cut.dropBeforeMs, JSON.stringify(own.map(([profile]) => profile))).changes
          const coarse = foldTier(cut.coarseBeforeMs, all.coarseBucketMs)
          const fine = foldTier(cut.fineBeforeMs, all.fineBucketMs)
          return { folded: coarse.folded + fine.folded, buckets: coarse.buckets + fine.buckets, dropped }
        })
      })

    const prune = (beforeMs: number) =>
      Effect.gen(function* () {
        const kept = pending.filter((s) => s.atMs >= beforeMs)
        const droppedPending = pending.length - kept.length
        pending = kept
        const dropped = yield* database.write(STORE, () => pruneStatement.run(beforeMs).changes)
        return dropped + droppedPending
      })

    const applyPolicy = Effect.flatMap(Clock.currentTimeMillis, (now) => compact(now))
    yield* database.registerMaintenance(STORE, Effect.asVoid(applyPolicy))

    return {
      record: (sample) => Effect.sync(() => void pending.push(sample)),
      query: (q) =>
        Effect.gen(function* () {
          const rows = yield* database.read(STORE, () => select.all(q.profile, q.fromMs, q.toMs) as Array<Row>)
          const stored = rows.flatMap((row) => {
            const sample = toSample(row)
            return sample === undefined ? [] : [sample]
          })
          const recent = pending.filter((s) => s.profile === q.profile && s.atMs >= q.fromMs && s.atMs < q.toMs)
          if (recent.length === 0) return stored
          // Stable: equal times keep the order they were recorded in (stored first).
          return [...stored, ...recent].sort((a, b) => a.atMs - b.atMs)
        }),
      prune,
      delete: (profile) =>
        Effect.zipRight(
          Effect.sync(() => {
            pending = pending.filter((s) => s.profile !== profile)
          }),
          Effect.asVoid(database.write(STORE, () => deleteStatement.run(profile)))
        ),
      compact,
      downsampled,
      applyPolicy
    }
  })

/** The store under both tags: core's `AnalyticsStore` and `SqliteAnalyticsStore` (which adds `applyPolicy`). */
export const layer = (
  options?: SqliteAnalyticsStoreOptions
): Layer.Layer<AnalyticsStore.AnalyticsStore | SqliteAnalyticsStore, never, SqliteDatabase> =>
  Layer.scopedContext(
    Effect.map(make(options), (service) => Context.make(SqliteAnalyticsStore, service).pipe(Context.add(AnalyticsStore.AnalyticsStore, service)))
  )
