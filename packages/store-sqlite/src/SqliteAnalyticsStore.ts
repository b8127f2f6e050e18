/**
 * `AnalyticsStore` on the database file: the time series per profile (online, members, freshness state).
 *
 * - `record` is written behind with the next flush (a sample a minute per profile is on the refresh path);
 *   queries read the file and what is still pending, so they see every sample recorded before them.
 * - Retention and downsampling (the storage side; the recorder decides what to keep): `prune` and `delete`
 *   as the port says, and `downsample(beforeMs, bucketMs)` replaces the samples of every whole bucket before
 *   `beforeMs` with one per profile and bucket — at the bucket's start, online and members averaged, the state
 *   of its latest sample. Each maintenance run applies the store's own policy as a bound on the file's size:
 *   raw samples for `downsampleAfterMs` (7 days), then one per `bucketMs` (1 hour), none older than
 *   `maxAgeMs` (400 days).
 */
import { Clock, Context, Effect, Layer, Scope } from "effect"
import { AnalyticsStore, FreshnessState } from "@guildpulse/core"
import type { ProfileKey, StoreError } from "@guildpulse/core"
import { Schema } from "effect"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "analytics"
const isState = Schema.is(FreshnessState)
export const DEFAULT_DOWNSAMPLE_AFTER_MS = 7 * 86_400_000
export const DEFAULT_BUCKET_MS = 3_600_000
export const DEFAULT_MAX_AGE_MS = 400 * 86_400_000

export interface SqliteAnalyticsStoreOptions {
  /** Samples older than this are downsampled by maintenance (default 7 days; 0 turns it off). */
  readonly downsampleAfterMs?: number
  /** The bucket of downsampled samples (default 1 hour). */
  readonly bucketMs?: number
  /** Samples older than this are dropped by maintenance (default 400 days). */
  readonly maxAgeMs?: number
}

export interface SqliteAnalyticsStoreService extends Context.Tag.Service<AnalyticsStore.AnalyticsStore> {
  /** Replaces the samples of every whole `bucketMs` bucket before `beforeMs` with one per profile; returns the rows removed. */
  readonly downsample: (beforeMs: number, bucketMs: number) => Effect.Effect<number, StoreError>
  /** Applies the store's own retention and downsampling now (what maintenance runs). */
  readonly applyPolicy: Effect.Effect<void, StoreError>
}

export class SqliteAnalyticsStore extends Context.Tag("@guildpulse/store-sqlite/SqliteAnalyticsStore")<SqliteAnalyticsStore, SqliteAnalyticsStoreService>() {}

type Row = [string, number, number | null, number | null, string]

const toSample = ([profile, atMs, online, members, state]: Row): AnalyticsStore.Sample | undefined =>
  isState(state)
    ? { profile: profile as ProfileKey, atMs: Number(atMs), ...(online !== null ? { online: Number(online) } : {}), ...(members !== null ? { members: Number(members) } : {}), state }
    : undefined

export const make = (options: SqliteAnalyticsStoreOptions = {}): Effect.Effect<SqliteAnalyticsStoreService, never, SqliteDatabase | Scope.Scope> =>
  Effect.gen(function* () {
    const database = yield* SqliteDatabase
    const downsampleAfterMs = options.downsampleAfterMs ?? DEFAULT_DOWNSAMPLE_AFTER_MS
    const bucketMs = Math.max(1, Math.floor(options.bucketMs ?? DEFAULT_BUCKET_MS))
    const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS
    const insert = database.db.prepare("INSERT INTO samples (profile, at_ms, online, members, state, span_ms) VALUES (?, ?, ?, ?, ?, 0)")
    const select = database.db.prepare("SELECT profile, at_ms, online, members, state FROM samples WHERE profile = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms, rowid").raw(true)
    const pruneStatement = database.db.prepare("DELETE FROM samples WHERE at_ms < ?")
    const deleteStatement = database.db.prepare("DELETE FROM samples WHERE profile = ?")
    // Integers inlined (they are computed here, never input): a bound JS number is a REAL to SQLite, and
    // `at_ms / 3600000.0` would not group into buckets.
    const aggregateSql = (bucket: number, cutoff: number) =>
      "INSERT INTO samples (profile, at_ms, online, members, state, span_ms) " +
      `SELECT profile, bucket, online, members, state, ${bucket} FROM (` +
      // With exactly one max(), SQLite takes the bare column `state` from the row holding the max: the latest.
      `SELECT profile, (at_ms / ${bucket}) * ${bucket} AS bucket, CAST(round(avg(online)) AS INTEGER) AS online, ` +
      `CAST(round(avg(members)) AS INTEGER) AS members, state, max(at_ms) AS latest ` +
      `FROM samples WHERE at_ms < ${cutoff} AND span_ms < ${bucket} GROUP BY profile, at_ms / ${bucket})`
    const removeFineSql = (bucket: number, cutoff: number) => `DELETE FROM samples WHERE at_ms < ${cutoff} AND span_ms < ${bucket}`
    let pending: Array<AnalyticsStore.Sample> = []

    yield* database.registerWriteBehind({
      name: STORE,
      take: () => {
        if (pending.length === 0) return undefined
        const taken = pending
        pending = []
        return {
          count: taken.length,
          write: () => {
            for (const s of taken) insert.run(s.profile, s.atMs, s.online ?? null, s.members ?? null, s.state)
          },
          requeue: () => {
            pending = [...taken, ...pending]
          }
        }
      }
    })

    const downsample = (beforeMs: number, bucket: number) =>
      Effect.gen(function* () {
        const size = Math.max(1, Math.floor(bucket))
        const cutoff = Math.floor(beforeMs / size) * size
        if (!Number.isSafeInteger(size) || !Number.isSafeInteger(cutoff)) return 0
        yield* database.flush
        return yield* database.write(STORE, (db) => {
          db.prepare(aggregateSql(size, cutoff)).run()
          return db.prepare(removeFineSql(size, cutoff)).run().changes
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

    const applyPolicy = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      yield* prune(now - maxAgeMs)
      if (downsampleAfterMs > 0) yield* downsample(now - downsampleAfterMs, bucketMs)
    })
    yield* database.registerMaintenance(STORE, applyPolicy)

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
      downsample,
      applyPolicy
    }
  })

/** The store under both tags: core's `AnalyticsStore` and `SqliteAnalyticsStore` (which adds `downsample`). */
export const layer = (
  options?: SqliteAnalyticsStoreOptions
): Layer.Layer<AnalyticsStore.AnalyticsStore | SqliteAnalyticsStore, never, SqliteDatabase> =>
  Layer.scopedContext(
    Effect.map(make(options), (service) => Context.make(SqliteAnalyticsStore, service).pipe(Context.add(AnalyticsStore.AnalyticsStore, service)))
  )
