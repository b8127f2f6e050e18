/**
 * `RateLimitStore` for the process that owns the database file: core's in-process store (`makeInProcess`)
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
const SWEEP_GRACE_MS = 60_000
/** Invalid requests older than this are never asked about (the guard's window is 10 minutes). */
export const INVALID_RETENTION_MS = 60 * 60_000

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
  const loadedInvalid = invalidTimes.map(([at]) => Number(at))
  let latestInvalid = loadedInvalid.length > 0 ? loadedInvalid[loadedInvalid.length - 1]! : now0
  let invalidPending: Array<number> = []

  yield* database.registerWriteBehind({ name: "blocks", take: () => blocked.take() })
  yield* database.registerWriteBehind({
    name: "invalid",
    take: (): PendingWrites | undefined => {
      const taken = invalidPending
      if (taken.length === 0) return undefined
      invalidPending = []
      const latest = latestInvalid
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

  // Core's in-process store, with blocks and invalid requests written behind to the file.
  return RateLimitStore.makeInProcess({
    blocks: blocked,
    invalidTimes: loadedInvalid,
    retainInvalidMs: INVALID_RETENTION_MS,
    onInvalid: (atMs) => {
      invalidPending.push(atMs)
      latestInvalid = atMs
    }
  })
})

export const layer: Layer.Layer<RateLimitStore.RateLimitStore, StoreError, SqliteDatabase> = Layer.scoped(RateLimitStore.RateLimitStore, make)
