/** Backup (online, `VACUUM INTO`) and restore of the embedded store, on real files. */
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted } from "effect"
import { ProfileKey, ProfileRepository, SecretVault, SnapshotStore } from "@guildpulse/core"
import { SqliteBackup, SqliteStores } from "../src/index.js"
import { profileFixture, snapshotFixture, profileKey } from "./fixtures/domain.js"
import { testMasterKeys } from "./fixtures/keys.js"

const root = mkdtempSync(join(tmpdir(), "gp-sqlite-backup-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let seq = 0
const freshDir = () => join(root, `d${++seq}`)
const stores = (dataDir: string) => SqliteStores.layer({ dataDir, masterKeys: testMasterKeys, flushIntervalMs: 5000 })
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex")

const contents = Effect.gen(function* () {
  const repo = yield* ProfileRepository.ProfileRepository
  const snapshot = yield* (yield* SnapshotStore.SnapshotStore).get(profileKey("one"))
  const token = yield* (yield* SecretVault.SecretVault).get(ProfileKey.make("one"))
  return {
    profiles: (yield* repo.list).map((p) => p.key),
    snapshot: Option.map(snapshot, (s) => s.attemptedAtMs),
    token: Option.map(token, Redacted.value)
  }
})

describe("backup and restore", () => {
  it.live("an online backup holds everything written before it (pending snapshots too) and nothing after", () =>
    Effect.gen(function* () {
      const source = freshDir()
      const copy = join(root, `backup${++seq}.db`)
      const result = yield* Effect.gen(function* () {
        yield* (yield* ProfileRepository.ProfileRepository).put(profileFixture("one"), 0)
        yield* (yield* SecretVault.SecretVault).put(ProfileKey.make("one"), Redacted.make("token-one"))
        yield* (yield* SnapshotStore.SnapshotStore).put(snapshotFixture("one", 1234))
        const made = yield* SqliteBackup.backup(copy)
        yield* (yield* ProfileRepository.ProfileRepository).put(profileFixture("two"), 0)
        const again = yield* Effect.either(SqliteBackup.backup(copy))
        return { made, again }
      }).pipe(Effect.provide(stores(source)))
      assert.strictEqual(result.made.path, copy)
      assert.isAbove(result.made.bytes, 0)
      assert.isTrue(Either.isLeft(result.again) && result.again.left.message.includes("already exists"), "never overwrites")

      const target = freshDir()
      const restored = yield* SqliteBackup.restore({ dataDir: target, from: copy })
      assert.isUndefined(restored.previous)
      const found = yield* Effect.provide(contents, stores(target))
      assert.deepStrictEqual(found, { profiles: ["one"], snapshot: Option.some(1234), token: Option.some("token-one") })
    }), 60_000)

  it.live("restore keeps the database it replaces beside it; a bad backup or a running owner changes nothing", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      yield* Effect.provide((Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => repo.put(profileFixture("current"), 0))), stores(dataDir))
      const copy = join(root, `backup${++seq}.db`)
      yield* SqliteBackup.backupDirectory({ dataDir, destination: copy })
      yield* Effect.provide((Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => repo.put(profileFixture("later"), 0))), stores(dataDir))

      const garbage = join(root, `garbage${++seq}.db`)
      writeFileSync(garbage, "not a database".repeat(100))
      const before = sha256(join(dataDir, "guildpulse.db"))
      const refused = yield* Effect.flip(SqliteBackup.restore({ dataDir, from: garbage }))
      assert.include(refused.message, "cannot be restored")
      assert.include(refused.message, "Nothing was changed")
      assert.strictEqual(sha256(join(dataDir, "guildpulse.db")), before)

      const busy = yield* Effect.scoped(
        Effect.zipRight(Layer.build(stores(dataDir)), Effect.flip(SqliteBackup.restore({ dataDir, from: copy })))
      )
      assert.include(busy.message, `pid ${process.pid}`)
      assert.strictEqual(sha256(join(dataDir, "guildpulse.db")), before)

      const restored = yield* SqliteBackup.restore({ dataDir, from: copy })
      assert.isString(restored.previous)
      assert.isTrue(existsSync(restored.previous!))
      assert.strictEqual(sha256(restored.previous!), before, "the replaced database is kept as it was")
      const found = yield* Effect.provide(Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => repo.list), stores(dataDir))
      assert.deepStrictEqual(found.map((p) => p.key), ["current"])
    }), 60_000)
})
