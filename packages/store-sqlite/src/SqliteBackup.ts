/**
 * Backup and restore of the embedded store, for the CLI and for operators.
 *
 * - `backup(destination)` — online, from the running process: what is pending is written first, then
 *   `VACUUM INTO` writes a consistent, compact copy while the store keeps serving.
 * - `backupDirectory({ dataDir, destination })` — when no process runs on the directory (it takes the lock).
 * - `restore({ dataDir, from })` — with no process on the directory: the copy is checked (SQLite header,
 *   `quick_check`, GuildPulse's application id) as a copy inside the directory, the current database (if any)
 *   is kept beside it as `guildpulse.db.before-restore-<time>`, and the checked copy is renamed into place.
 *   The backup file itself is only read.
 *
 * A backup holds sealed tokens: keep the key that sealed them (`GUILDPULSE_MASTER_KEYS`, or the data
 * directory's `master.key`) with it, or tokens must be set again after a restore.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { Clock, Effect } from "effect"
import Database from "libsql"
import { StoreError } from "@guildpulse/core"
import { inspectDatabaseFile } from "./internal/fileCheck.js"
import { acquireOwnerLock, releaseOwnerLock } from "./internal/ownerLock.js"
import { APPLICATION_ID, DATABASE_FILE, DEFAULT_DATA_DIR, SqliteDatabase, make as makeDatabase } from "./SqliteDatabase.js"

export interface BackupResult {
  readonly path: string
  readonly bytes: number
}

/** A consistent copy of the running store's database at `destination` (which must not exist). */
export const backup = (destination: string): Effect.Effect<BackupResult, StoreError, SqliteDatabase> =>
  Effect.flatMap(SqliteDatabase, (database) => database.backup(destination))

/** The same for a directory no process runs on. */
export const backupDirectory = (options: { readonly dataDir?: string; readonly destination: string }): Effect.Effect<BackupResult, StoreError> =>
  Effect.scoped(Effect.flatMap(makeDatabase({ dataDir: options.dataDir ?? DEFAULT_DATA_DIR }), (database) => database.backup(options.destination)))

export interface RestoreResult {
  readonly path: string
  /** Where the database that was there before now is, if there was one. */
  readonly previous: string | undefined
  readonly bytes: number
}

const failure = (message: string) => new StoreError({ reason: "corrupt", store: "restore", message })

/** Checks a copy: SQLite, complete, intact, GuildPulse's. Returns a problem, or undefined. */
const checkCopy = (path: string): string | undefined => {
  const state = inspectDatabaseFile(path)
  if (state._tag === "Invalid") return state.problem
  if (state._tag !== "Ok") return "it is empty"
  const db = new Database(path)
  try {
    const check = db.prepare("PRAGMA quick_check").raw(true).all() as Array<Array<unknown>>
    if (String(check[0]?.[0]) !== "ok") return `the integrity check says: ${String(check[0]?.[0])}`
    const appId = Number((db.prepare("PRAGMA application_id").raw(true).get() as Array<unknown>)[0])
    if (appId !== APPLICATION_ID) return "it is not a GuildPulse database"
    return undefined
  } catch (error) {
    return `the integrity check could not read it (${error instanceof Error ? error.message : String(error)})`
  } finally {
    db.close()
  }
}

/** Puts a backup in place of the directory's database (no process may run on the directory). */
export const restore = (options: { readonly dataDir?: string; readonly from: string }): Effect.Effect<RestoreResult, StoreError> =>
  Effect.gen(function* () {
    const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR)
    const from = resolve(options.from)
    const now = yield* Clock.currentTimeMillis
    return yield* Effect.try({
      try: () => {
        if (!existsSync(from)) throw failure(`${from} does not exist`)
        mkdirSync(dataDir, { recursive: true })
        const lock = acquireOwnerLock(dataDir)
        if (lock._tag === "OwnedElsewhere") {
          throw new StoreError({
            reason: "unavailable",
            store: "restore",
            message: `${dataDir} is in use by ${lock.owner !== undefined ? `pid ${lock.owner.pid}` : "another process"}: stop it before restoring`
          })
        }
        const path = join(dataDir, DATABASE_FILE)
        const incoming = join(dataDir, `${DATABASE_FILE}.restoring`)
        try {
          rmSync(incoming, { force: true })
          copyFileSync(from, incoming)
          const problem = checkCopy(incoming)
          if (problem !== undefined) throw failure(`${from} cannot be restored: ${problem}. Nothing was changed.`)
          // The check may have left a log beside the copy; a restored database starts without one.
          for (const suffix of ["-wal", "-shm"]) rmSync(`${incoming}${suffix}`, { force: true })
          let previous: string | undefined
          if (existsSync(path)) {
            previous = join(dataDir, `${DATABASE_FILE}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, "-")}`)
            renameSync(path, previous)
            for (const suffix of ["-wal", "-shm"]) if (existsSync(`${path}${suffix}`)) renameSync(`${path}${suffix}`, `${previous}${suffix}`)
          }
          renameSync(incoming, path)
          return { path, previous, bytes: statSync(path).size }
        } finally {
          rmSync(incoming, { force: true })
          releaseOwnerLock(lock.path)
        }
      },
      catch: (error) =>
        error instanceof StoreError ? error : new StoreError({ reason: "unavailable", store: "restore", message: `restore failed: ${String(error)}` })
    })
  })
