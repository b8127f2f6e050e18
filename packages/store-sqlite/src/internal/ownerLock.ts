/**
 * One process owns a data directory: `<dir>/guildpulse.lock` names the owner (`{pid, hostname, startedAt}`).
 *
 * - Taking it is atomic: the lock is written to a temporary file and hard-linked into place, which fails when a
 *   lock already exists, so two processes starting together cannot both win.
 * - A lock whose process is gone (killed, crashed) is stale: it is moved aside (an atomic rename, so of two
 *   processes taking over only one succeeds) and taken.
 * - A lock of a living process (this one included: a directory is opened once per process), or of another
 *   host (a shared volume), is refused with `OwnedElsewhere`, naming the pid, before anything in the directory
 *   is written.
 */
import { hostname } from "node:os"
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Either, Schema } from "effect"

export const LOCK_FILE = "guildpulse.lock"

export const OwnerRecord = Schema.Struct({ pid: Schema.Int, hostname: Schema.String, startedAt: Schema.String })
export type OwnerRecord = typeof OwnerRecord.Type
const decodeOwner = Schema.decodeUnknownEither(Schema.parseJson(OwnerRecord))

export type LockOutcome =
  | { readonly _tag: "Acquired"; readonly path: string; readonly takenOverFrom: OwnerRecord | undefined }
  | { readonly _tag: "OwnedElsewhere"; readonly path: string; readonly owner: OwnerRecord }
  | { readonly _tag: "Unreadable"; readonly path: string; readonly message: string }

/** Locks held by this process (a lock naming our pid but not in here is from a previous life of this pid). */
const ownedHere = new Set<string>()

const isAlive = (pid: number, path: string): boolean => {
  if (pid === process.pid) return ownedHere.has(path)
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readOwner = (path: string): Either.Either<OwnerRecord, string> | undefined => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
  return Either.mapLeft(decodeOwner(text), () => `the lock file ${path} is not readable (${JSON.stringify(text.slice(0, 80))})`)
}

/** Tries to take the directory's lock (synchronous; the directory must exist). */
export const acquireOwnerLock = (dir: string, attempts = 5): LockOutcome => {
  const path = join(dir, LOCK_FILE)
  const me: OwnerRecord = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() }
  let takenOverFrom: OwnerRecord | undefined
  for (let attempt = 0; attempt < attempts; attempt++) {
    const temp = join(dir, `${LOCK_FILE}.${process.pid}.tmp`)
    writeFileSync(temp, JSON.stringify(me) + "\n", { mode: 0o644 })
    try {
      linkSync(temp, path)
      ownedHere.add(path)
      return { _tag: "Acquired", path, takenOverFrom }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    } finally {
      rmSync(temp, { force: true })
    }
    const owner = readOwner(path)
    if (owner === undefined) continue // released meanwhile: try again
    if (Either.isLeft(owner)) {
      // A lock file cut short by a crash while it was written is as good as absent only if we can tell: we cannot.
      return { _tag: "Unreadable", path, message: owner.left }
    }
    if (owner.right.hostname !== me.hostname || isAlive(owner.right.pid, path)) {
      return { _tag: "OwnedElsewhere", path, owner: owner.right }
    }
    try {
      renameSync(path, join(dir, `${LOCK_FILE}.stale-${owner.right.pid}`))
      rmSync(join(dir, `${LOCK_FILE}.stale-${owner.right.pid}`), { force: true })
      takenOverFrom = owner.right
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error // another process took it over first
    }
  }
  const owner = readOwner(path)
  return owner !== undefined && Either.isRight(owner)
    ? { _tag: "OwnedElsewhere", path, owner: owner.right }
    : { _tag: "Unreadable", path, message: `could not take the lock ${path}` }
}

/** Removes the lock if it is still ours. */
export const releaseOwnerLock = (path: string): void => {
  const owner = readOwner(path)
  if (owner !== undefined && Either.isRight(owner) && owner.right.pid === process.pid && owner.right.hostname === hostname()) {
    rmSync(path, { force: true })
  }
  ownedHere.delete(path)
}
