/**
 * One process owns a data directory.
 *
 * The ownership itself is an operating-system lock: an exclusive SQLite transaction held open on
 * `<dir>/guildpulse.lock.db` for the owner's whole life. The kernel drops it when the owner exits, however it
 * exits (SIGKILL included), so there is nothing stale to clean up after a crash, and neither a reused pid nor a
 * container that comes back with a new hostname can fool it. Within one process, a directory already open is
 * refused too.
 *
 * `<dir>/guildpulse.lock` only says who the owner is (`{pid, hostname, startedAt}`), for the message a second
 * process gets — it is refused before it writes anything in the directory. A record left behind by an owner
 * that did not shut down cleanly is reported as such by the next owner.
 */
import { hostname } from "node:os"
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Either, Schema } from "effect"
import Database from "libsql"

export const LOCK_FILE = "guildpulse.lock"
export const GUARD_FILE = "guildpulse.lock.db"

export const OwnerRecord = Schema.Struct({ pid: Schema.Int, hostname: Schema.String, startedAt: Schema.String })
export type OwnerRecord = typeof OwnerRecord.Type
const decodeOwner = Schema.decodeUnknownEither(Schema.parseJson(OwnerRecord))

export type LockOutcome =
  | { readonly _tag: "Acquired"; readonly path: string; readonly takenOverFrom: OwnerRecord | undefined }
  | { readonly _tag: "OwnedElsewhere"; readonly path: string; readonly owner: OwnerRecord | undefined }

/** Guards held by this process, by record path. */
const held = new Map<string, Database.Database>()

const readOwner = (path: string): OwnerRecord | undefined => {
  try {
    const owner = decodeOwner(readFileSync(path, "utf8"))
    return Either.isRight(owner) ? owner.right : undefined
  } catch {
    return undefined
  }
}

const isBusy = (error: unknown): boolean => {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""
  const message = error instanceof Error ? error.message : String(error)
  return /BUSY|LOCKED/.test(code) || /database is locked|busy/i.test(message)
}

/** Tries to take the directory (synchronous; the directory must exist). */
export const acquireOwnerLock = (dir: string): LockOutcome => {
  const path = join(dir, LOCK_FILE)
  if (held.has(path)) return { _tag: "OwnedElsewhere", path, owner: readOwner(path) }
  const guard = new Database(join(dir, GUARD_FILE))
  try {
    guard.exec("PRAGMA busy_timeout = 0")
    guard.exec("BEGIN EXCLUSIVE")
  } catch (error) {
    guard.close()
    if (isBusy(error)) return { _tag: "OwnedElsewhere", path, owner: readOwner(path) }
    throw error
  }
  const previous = readOwner(path)
  const me: OwnerRecord = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() }
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(me) + "\n", { mode: 0o644 })
  renameSync(temp, path)
  held.set(path, guard)
  return { _tag: "Acquired", path, takenOverFrom: previous }
}

/** Gives the directory up: the record goes, then the operating-system lock. */
export const releaseOwnerLock = (path: string): void => {
  const guard = held.get(path)
  if (guard === undefined) return
  held.delete(path)
  rmSync(path, { force: true })
  try {
    if (guard.inTransaction) guard.exec("ROLLBACK")
  } finally {
    guard.close()
  }
}
