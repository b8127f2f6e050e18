/**
 * `RateLimitStore` for the process that owns the database file: core's `decideAcquire` on in-process state
 * (one process spends the budget, so no cross-process atomicity is needed), with what must outlive a restart
 * written behind to the file:
 *
 * - blocks (`Retry-After`, a global 429) — a restart must not send into a block Discord announced;
 * - invalid requests (401/403/429) over the guard's rolling window — a crash loop must not reset the count
 *   that keeps the instance far from Discord's invalid-request ban.
 *
 * Buckets and global windows are short-lived (seconds) and relearned from the next response; they stay in memory.
 */
import { Clock, Context, Effect, Layer, Scope } from "effect"
import { RateLimitStore } from "@guildpulse/core"
import type { StoreError } from "@guildpulse/core"
import { DirtyMap } from "./internal/dirtyMap.js"
import { SqliteDatabase, type PendingWrites } from "./SqliteDatabase.js"

const STORE = "ratelimits"
const SWEEP_EVERY = 1000
const SWEEP_GRACE_MS = 60_000
/** Invalid requests older than this are never asked about (the guard's window is 10 minutes). */
export const INVALID_RETENTION_MS = 60 * 60_000

interface BucketState {
  limit: number
  remaining: number
  resetAtMs: number
}

export const make: Effect.Effect<Context.Tag.Service<RateLimitStore.RateLimitStore>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const now0 = yield* Clock.currentTimeMillis
  const upsertBlock = database.db.prepare("INSERT INTO rate_blocks (key, until_ms) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)")
  const removeBlock = database.db.prepare("DELETE FROM rate_blocks WHERE key = ?")
  const insertInvalid = database.db.prepare("INSERT INTO rate_invalid (at_ms) VALUES (?)")
  const pruneInvalid = database.db.prepare("DELETE FROM rate_invalid WHERE at_ms <= ?")
  const pruneBlocks = database.db.prepare("DELETE FROM rate_blocks WHERE until_ms <= ?")

  const blocked = new DirtyMap<number>((_, key, until) => upsertBlock.run(key, until), (_, key) => removeBlock.run(key))
  const { blocks, invalidTimes } = yield* database.read(STORE, (db) => ({
    blocks: db.prepare("SELECT key, until_ms FROM rate_blocks WHERE until_ms > ?").raw(true).all(now0) as Array<[string, number]>,
    invalidTimes: db.prepare("SELECT at_ms FROM rate_invalid WHERE at_ms > ? ORDER BY at_ms").raw(true).all(now0 - INVALID_RETENTION_MS) as Array<[number]>
  }))
  for (const [key, until] of blocks) blocked.load(key, Number(until))
  const invalid: Array<number> = invalidTimes.map(([at]) => Number(at))
  let invalidPending: Array<number> = []

  yield* database.registerWriteBehind({ name: "blocks", take: () => blocked.take() })
  yield* database.registerWriteBehind({
    name: "invalid",
    take: (): PendingWrites | undefined => {
      const taken = invalidPending
      if (taken.length === 0) return undefined
      invalidPending = []
      const latest = invalid.length > 0 ? invalid[invalid.length - 1]! : now0
      return {
        count: taken.length,
        write: () => {
          for (const at of taken) insertInvalid.run(at)
          pruneInvalid.run(latest - INVALID_RETENTION_MS)
          pruneBlocks.run(latest - SWEEP_GRACE_MS)
        },
        requeue: () => {
          invalidPending = [...taken, ...invalidPending]
        }
      }
    }
  })

  const buckets = new Map<string, BucketState>()
  const windows = new Map<string, { startMs: number; count: number }>()
  const prune = (now: number, windowMs: number) => {
    while (invalid.length > 0 && invalid[0]! <= now - windowMs && invalid[0]! <= now - INVALID_RETENTION_MS) invalid.shift()
  }
  const countWithin = (now: number, windowMs: number) => {
    let n = 0
    for (let i = invalid.length - 1; i >= 0 && invalid[i]! > now - windowMs; i--) n += 1
    return n
  }
  let grantsSinceSweep = 0
  const sweep = (now: number) => {
    for (const [key, bucket] of buckets) if (bucket.resetAtMs < now - SWEEP_GRACE_MS) buckets.delete(key)
    for (const [key, until] of blocked.values) if (until < now) blocked.delete(key)
    for (const [key, window] of windows) if (window.startMs < now - SWEEP_GRACE_MS) windows.delete(key)
  }

  return RateLimitStore.RateLimitStore.of({
    acquire: (request) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (++grantsSinceSweep >= SWEEP_EVERY) {
          grantsSinceSweep = 0
          sweep(now)
        }
        const bucket = buckets.get(request.bucketKey)
        let window = windows.get(request.globalKey)
        if (window !== undefined && now >= window.startMs + request.globalWindowMs) window = undefined
        const decision = RateLimitStore.decideAcquire(
          now,
          request,
          bucket,
          { bucket: blocked.get(request.bucketKey) ?? 0, global: blocked.get(request.globalKey) ?? 0 },
          window
        )
        if (decision._tag === "Granted") {
          if (bucket !== undefined) {
            if (bucket.resetAtMs <= now) bucket.remaining = bucket.limit
            bucket.remaining -= 1
          }
          windows.set(request.globalKey, window === undefined ? { startMs: now, count: 1 } : { startMs: window.startMs, count: window.count + 1 })
        }
        return decision
      }),
    observe: (bucketKey, observation) =>
      Effect.sync(() => {
        const current = buckets.get(bucketKey)
        // Within one reset window, in-flight requests may report a stale `remaining`: keep the lower count.
        const sameWindow = current !== undefined && Math.abs(current.resetAtMs - observation.resetAtMs) < 1000
        buckets.set(bucketKey, {
          limit: observation.limit,
          remaining: sameWindow ? Math.min(current.remaining, observation.remaining) : observation.remaining,
          resetAtMs: observation.resetAtMs
        })
      }),
    blockUntil: (key, untilMs) =>
      Effect.sync(() => {
        const current = blocked.get(key) ?? 0
        if (untilMs > current) blocked.set(key, untilMs)
      }),
    recordInvalid: (windowMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        invalid.push(now)
        invalidPending.push(now)
        prune(now, windowMs)
        return countWithin(now, windowMs)
      }),
    invalidCount: (windowMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        prune(now, windowMs)
        return countWithin(now, windowMs)
      })
  })
})

export const layer: Layer.Layer<RateLimitStore.RateLimitStore, StoreError, SqliteDatabase> = Layer.scoped(RateLimitStore.RateLimitStore, make)
