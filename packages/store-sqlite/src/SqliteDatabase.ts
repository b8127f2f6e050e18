/**
 * The database file of the embedded store and everything around it, shared by every store of this package:
 *
 * - one file, `<dataDir>/guildpulse.db` (`GUILDPULSE_DATA_DIR`, default `./.guildpulse`), owned by one process
 *   (`guildpulse.lock` names its pid; a second process is refused before it writes anything);
 * - checked before it is opened: a file that is not SQLite, cut short, or fails `PRAGMA quick_check` is refused
 *   with `StoreError("corrupt")` and left untouched;
 * - WAL journal, `synchronous=FULL`, a busy timeout, incremental auto-vacuum; schema by `@effect/sql`'s migrator
 *   through `@effect/sql-libsql` (`SqlClient`), on the same single connection the stores use;
 * - durable writes (`write`) commit before they return; write-behind stores register a part that `flush` writes,
 *   all parts in one transaction, every `flushIntervalMs` (≤ 5 s) and when the layer closes;
 * - `maintain` checkpoints the log and gives free pages back (also periodic); `backup` writes a consistent
 *   online copy with `VACUUM INTO`.
 */
import { existsSync, mkdirSync, statSync } from "node:fs"
import { isAbsolute, join, resolve } from "node:path"
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import * as LibsqlMigrator from "@effect/sql-libsql/LibsqlMigrator"
import { Clock, Config, ConfigError, Context, Duration, Effect, Layer, Schedule, Scope } from "effect"
import Database from "libsql"
import { StoreError } from "@guildpulse/core"
import { inspectDatabaseFile } from "./internal/fileCheck.js"
import { loader } from "./internal/migrations.js"
import { makeNativeClient } from "./internal/nativeClient.js"
import { acquireOwnerLock, releaseOwnerLock, type OwnerRecord } from "./internal/ownerLock.js"

export const DEFAULT_DATA_DIR = "./.guildpulse"
export const DATABASE_FILE = "guildpulse.db"
export const DEFAULT_FLUSH_INTERVAL_MS = 1000
/** The promise of the README: write-behind data is never older than this when written. */
export const MAX_FLUSH_INTERVAL_MS = 5000
export const DEFAULT_BUSY_TIMEOUT_MS = 5000
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 15 * 60_000
/** `PRAGMA application_id` of a GuildPulse database ("GPLS"). */
export const APPLICATION_ID = 0x47504c53

export interface SqliteOptions {
  /** Directory of the database file and the owner lock. Default `./.guildpulse`. */
  readonly dataDir?: string
  /** Write-behind interval of snapshots, events and samples (at most 5000 ms). Default 1000 ms. */
  readonly flushIntervalMs?: number
  /** How long a statement waits for a lock held by another connection. Default 5000 ms. */
  readonly busyTimeoutMs?: number
  /** Checkpoint + incremental vacuum interval. Default 15 min. */
  readonly maintenanceIntervalMs?: number
}

/** One part of the write-behind batch: what a store has pending, taken at flush time. */
export interface PendingWrites {
  readonly count: number
  /** Writes inside the flush transaction (synchronously). */
  readonly write: (db: Database.Database) => void
  /** Puts the taken writes back after a failed flush (newer pending values win). */
  readonly requeue: () => void
}

export interface WriteBehindPart {
  readonly name: string
  readonly take: () => PendingWrites | undefined
}

export interface FlushReport {
  readonly rows: number
  readonly durationMs: number
}

export interface DatabaseStatus {
  readonly path: string
  readonly fileBytes: number
  readonly walBytes: number
  readonly lastFlushAtMs: number | undefined
  readonly lastFlushError: string | undefined
  readonly flushes: number
}

export interface SqliteDatabaseService {
  readonly dataDir: string
  readonly path: string
  /** The native connection; stores prepare their statements on it. */
  readonly db: Database.Database
  /** `@effect/sql-libsql`'s client on the same connection (no `withTransaction` while the stores run). */
  readonly sql: SqlClient.SqlClient
  readonly flushIntervalMs: number
  /** The previous owner of the directory, when its lock was stale (it crashed or was killed). */
  readonly takenOverFrom: OwnerRecord | undefined
  /** Runs `f` in one IMMEDIATE transaction, committed (and synced) before this returns. */
  readonly write: <A>(store: string, f: (db: Database.Database) => A) => Effect.Effect<A, StoreError>
  readonly read: <A>(store: string, f: (db: Database.Database) => A) => Effect.Effect<A, StoreError>
  readonly registerWriteBehind: (part: WriteBehindPart) => Effect.Effect<void, never, Scope.Scope>
  /** Adds a task to every maintenance run (retention, downsampling), before the checkpoint. */
  readonly registerMaintenance: (name: string, task: Effect.Effect<void, StoreError>) => Effect.Effect<void, never, Scope.Scope>
  /** Writes every pending write-behind part now, in one transaction. */
  readonly flush: Effect.Effect<FlushReport, StoreError>
  /** Checkpoints the log into the file and gives free pages back to the file system. */
  readonly maintain: Effect.Effect<void, StoreError>
  /** Full `VACUUM` (rewrites the file; blocks writes while it runs). */
  readonly vacuum: Effect.Effect<void, StoreError>
  /** A consistent copy of the live database (pending writes flushed first) at `destination`, which must not exist. */
  readonly backup: (destination: string) => Effect.Effect<{ readonly path: string; readonly bytes: number }, StoreError>
  readonly status: Effect.Effect<DatabaseStatus>
}

export class SqliteDatabase extends Context.Tag("@guildpulse/store-sqlite/SqliteDatabase")<SqliteDatabase, SqliteDatabaseService>() {}

const sqliteCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined

/** Maps a native failure to core's `StoreError`. */
export const toStoreError = (store: string, error: unknown): StoreError => {
  if (error instanceof StoreError) return error
  const message = error instanceof Error ? error.message : String(error)
  const code = sqliteCode(error) ?? ""
  if (/BUSY|LOCKED/.test(code) || /database is locked/i.test(message)) return new StoreError({ reason: "timeout", store, message, cause: error })
  if (/CORRUPT|NOTADB/.test(code) || /malformed|not a database/i.test(message)) return new StoreError({ reason: "corrupt", store, message, cause: error })
  return new StoreError({ reason: "unavailable", store, message, cause: error })
}

const corrupt = (path: string, problem: string) =>
  new StoreError({
    reason: "corrupt",
    store: "database",
    message:
      `${path} cannot be used: ${problem}. The file was left untouched. ` +
      `Restore a backup (see the README of @guildpulse/store-sqlite) or move the file away to start empty.`
  })

const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0)

/** Opens (or creates) the database of `dataDir`, owned by this process until the scope closes. */
export const make = (options: SqliteOptions = {}): Effect.Effect<SqliteDatabaseService, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR)
    const path = join(dataDir, DATABASE_FILE)
    const flushIntervalMs = Math.min(MAX_FLUSH_INTERVAL_MS, Math.max(10, options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS))
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS

    // 1. The directory's owner: nothing is written before this succeeds.
    const lock = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          mkdirSync(dataDir, { recursive: true })
          return acquireOwnerLock(dataDir)
        },
        catch: (error) => toStoreError("database", error)
      }).pipe(
        Effect.flatMap((outcome) => {
          switch (outcome._tag) {
            case "Acquired":
              return Effect.succeed(outcome)
            case "OwnedElsewhere": {
              const owner = outcome.owner
              return Effect.fail(
                new StoreError({
                  reason: "unavailable",
                  store: "database",
                  message:
                    `${dataDir} is in use by another GuildPulse process` +
                    (owner !== undefined ? ` (pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt})` : "") +
                    `. One process owns a data directory: stop that process, or give this one another GUILDPULSE_DATA_DIR.`
                })
              )
            }
          }
        })
      ),
      (outcome) => Effect.sync(() => releaseOwnerLock(outcome.path))
    )
    if (lock.takenOverFrom !== undefined) {
      yield* Effect.logWarning(`took over ${dataDir} from pid ${lock.takenOverFrom.pid} on ${lock.takenOverFrom.hostname}, which did not shut down cleanly`)
    }

    // 2. The file, read-only checks first.
    const state = inspectDatabaseFile(path)
    if (state._tag === "Invalid") return yield* corrupt(path, state.problem)
    const isNew = state._tag === "Missing" || state._tag === "Empty"

    const db = yield* Effect.acquireRelease(
      Effect.try({ try: () => new Database(path), catch: (error) => corrupt(path, `SQLite cannot open it (${String(error)})`) }),
      (db) => Effect.sync(() => db.close())
    )
    if (!isNew) {
      const problem = yield* Effect.try({
        try: () => {
          const check = db.prepare("PRAGMA quick_check").raw(true).all() as Array<Array<unknown>>
          const first = String(check[0]?.[0] ?? "no answer")
          if (first !== "ok") return `the integrity check (PRAGMA quick_check) says: ${check.slice(0, 3).map((row) => String(row[0])).join("; ")}`
          const appId = Number((db.prepare("PRAGMA application_id").raw(true).get() as Array<unknown>)[0])
          const tables = Number((db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").raw(true).get() as Array<unknown>)[0])
          if (appId !== APPLICATION_ID && tables > 0) return "it is a SQLite database of another application"
          return undefined
        },
        catch: (error) => corrupt(path, `the integrity check (PRAGMA quick_check) could not read it (${error instanceof Error ? error.message : String(error)})`)
      })
      if (problem !== undefined) return yield* corrupt(path, problem)
    }

    // 3. Settings and schema.
    yield* Effect.try({
      try: () => {
        if (isNew) {
          db.exec("PRAGMA auto_vacuum = INCREMENTAL")
          db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
        }
        db.exec("PRAGMA journal_mode = WAL")
        db.exec("PRAGMA synchronous = FULL")
        db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`)
      },
      catch: (error) => toStoreError("database", error)
    })
    const sql = yield* LibsqlClient.make({ liveClient: makeNativeClient(db) }).pipe(Effect.provide(Reactivity.layer))
    yield* LibsqlMigrator.run({ loader }).pipe(
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.mapError((error) => new StoreError({ reason: "unavailable", store: "database", message: `schema migration failed: ${error.message}`, cause: error }))
    )

    const write = <A>(store: string, f: (db: Database.Database) => A) =>
      Effect.try({
        try: () => {
          db.exec("BEGIN IMMEDIATE")
          try {
            const result = f(db)
            db.exec("COMMIT")
            return result
          } finally {
            if (db.inTransaction) db.exec("ROLLBACK")
          }
        },
        catch: (error) => toStoreError(store, error)
      })
    const read = <A>(store: string, f: (db: Database.Database) => A) =>
      Effect.try({ try: () => f(db), catch: (error) => toStoreError(store, error) })

    // 4. Write-behind.
    const parts = new Set<WriteBehindPart>()
    let lastFlushAtMs: number | undefined
    let lastFlushError: string | undefined
    let flushes = 0
    const flushLock = yield* Effect.makeSemaphore(1)
    const flush: Effect.Effect<FlushReport, StoreError> = flushLock.withPermits(1)(
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const taken: Array<PendingWrites> = []
        for (const part of parts) {
          const pending = part.take()
          if (pending !== undefined && pending.count > 0) taken.push(pending)
        }
        if (taken.length === 0) return { rows: 0, durationMs: 0 }
        const result = yield* write("flush", (db) => {
          for (const pending of taken) pending.write(db)
        }).pipe(Effect.either)
        const now = yield* Clock.currentTimeMillis
        if (result._tag === "Left") {
          for (const pending of taken) pending.requeue()
          lastFlushError = result.left.message
          return yield* result.left
        }
        lastFlushAtMs = now
        lastFlushError = undefined
        flushes += 1
        return { rows: taken.reduce((n, p) => n + p.count, 0), durationMs: now - started }
      })
    )
    const finalFlush = flush.pipe(
      Effect.asVoid,
      Effect.catchAll((error) => Effect.logError(`final write of pending snapshots/events failed: ${error.message}`))
    )
    // A store's layer closes before this one: what it still has pending is written as it goes.
    const registerWriteBehind = (part: WriteBehindPart) =>
      Effect.acquireRelease(Effect.sync(() => void parts.add(part)), () =>
        Effect.zipRight(finalFlush, Effect.sync(() => void parts.delete(part)))
      )

    const tasks = new Map<string, Effect.Effect<void, StoreError>>()
    const registerMaintenance = (name: string, task: Effect.Effect<void, StoreError>) =>
      Effect.acquireRelease(Effect.sync(() => void tasks.set(name, task)), () => Effect.sync(() => void tasks.delete(name)))
    const runTasks = Effect.suspend(() =>
      Effect.forEach([...tasks], ([name, task]) => Effect.catchAll(task, (error) => Effect.logWarning(`maintenance task ${name} failed: ${error.message}`)), {
        discard: true
      })
    )
    const maintain = Effect.zipRight(runTasks, write("maintenance", (db) => {
      db.exec("PRAGMA incremental_vacuum")
    })).pipe(
      Effect.zipRight(read("maintenance", (db) => void db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true).all())),
      Effect.zipRight(read("maintenance", (db) => void db.exec("PRAGMA optimize")))
    )
    const vacuum = Effect.zipRight(flush, read("maintenance", (db) => void db.exec("VACUUM")))

    const backup = (destination: string) =>
      Effect.gen(function* () {
        const target = isAbsolute(destination) ? destination : resolve(destination)
        if (existsSync(target)) {
          return yield* new StoreError({ reason: "unavailable", store: "backup", message: `${target} already exists; a backup never overwrites a file` })
        }
        yield* flush
        yield* read("backup", (db) => db.prepare("VACUUM INTO ?").run(target))
        return { path: target, bytes: fileSize(target) }
      })

    // The final flush runs before the connection closes (finalizers run in reverse order).
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(finalFlush, Effect.ignore(read("database", (db) => void db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true).all())))
    )
    yield* flush.pipe(
      Effect.catchAll((error) => Effect.logWarning(`write-behind flush failed, will retry: ${error.message}`)),
      Effect.repeat(Schedule.spaced(Duration.millis(flushIntervalMs))),
      Effect.delay(Duration.millis(flushIntervalMs)),
      Effect.interruptible,
      Effect.forkScoped
    )
    const maintenanceIntervalMs = options.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS
    yield* maintain.pipe(
      Effect.catchAll((error) => Effect.logWarning(`database maintenance failed: ${error.message}`)),
      Effect.repeat(Schedule.spaced(Duration.millis(maintenanceIntervalMs))),
      Effect.delay(Duration.millis(maintenanceIntervalMs)),
      Effect.interruptible,
      Effect.forkScoped
    )

    return SqliteDatabase.of({
      dataDir,
      path,
      db,
      sql,
      flushIntervalMs,
      takenOverFrom: lock.takenOverFrom,
      write,
      read,
      registerWriteBehind,
      registerMaintenance,
      flush,
      maintain,
      vacuum,
      backup,
      status: Effect.sync(() => ({ path, fileBytes: fileSize(path), walBytes: fileSize(`${path}-wal`), lastFlushAtMs, lastFlushError, flushes }))
    })
  })

export const layer = (options: SqliteOptions = {}): Layer.Layer<SqliteDatabase, StoreError> => Layer.scoped(SqliteDatabase, make(options))

/**
 * The environment: `GUILDPULSE_DATA_DIR` (default `./.guildpulse`), one `Config` per option, so a caller can spread
 * it and add code options (`{ ...fromEnv, flushIntervalMs: Config.succeed(100) }`).
 */
export const fromEnv = {
  dataDir: Config.string("GUILDPULSE_DATA_DIR").pipe(Config.withDefault(DEFAULT_DATA_DIR))
} satisfies Config.Config.Wrap<SqliteOptions>

/** `fromEnv` as one `Config`. */
export const config: Config.Config<SqliteOptions> = Config.all(fromEnv)

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (a `Config.Config.Wrap`; `Config.succeed(value)` for a code-only option); the environment
 * (`fromEnv`) by default.
 */
export const layerConfig = (
  config: Config.Config.Wrap<SqliteOptions> = fromEnv
): Layer.Layer<SqliteDatabase, StoreError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap<SqliteOptions>(config), layer))
