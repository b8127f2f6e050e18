/**
 * One owner per data directory, and a damaged file is refused and left alone — with real processes where
 * the scenario is about processes.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { EventLog, ProfileRepository, SnapshotStore } from "@guildpulse/core"
import { SqliteDatabase, SqliteStores } from "../src/index.js"
import { profileFixture, snapshotFixture, profileKey } from "./fixtures/domain.js"
import { bundleWorker, spawnWorker } from "./harness/worker.js"

const root = mkdtempSync(join(tmpdir(), "gp-sqlite-owner-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let seq = 0
const freshDir = () => join(root, `d${++seq}`)

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex")
/** Names, sizes and modification times of every file of a directory. */
const listing = (dir: string) =>
  readdirSync(dir).sort().map((name) => {
    const stat = statSync(join(dir, name))
    return `${name}:${stat.size}:${stat.mtimeMs}`
  })

const open = (dataDir: string) =>
  Effect.exit(Effect.scoped(Layer.build(SqliteDatabase.layer({ dataDir }))))

/** A database with one profile and one snapshot, closed cleanly. */
const seed = (dataDir: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* (yield* ProfileRepository.ProfileRepository).put(profileFixture("main"), 0)
      yield* (yield* SnapshotStore.SnapshotStore).put(snapshotFixture("main"))
    }).pipe(Effect.provide(SqliteStores.layer({ dataDir, masterKeys: `k1:${Buffer.alloc(32, 1).toString("base64")}` })))
  )

const failureMessage = (exit: Exit.Exit<unknown, { readonly message: string }>) =>
  Exit.match(exit, {
    onSuccess: () => "opened",
    onFailure: (cause) => Option.match(Cause.failureOption(cause), { onNone: () => `defect: ${Cause.pretty(cause)}`, onSome: (error) => error.message })
  })

describe("one process owns a data directory", () => {
  let script = ""
  beforeAll(async () => {
    script = await bundleWorker("owner")
  }, 120_000)

  it("a second process is refused with the owner's pid and writes nothing; after the owner stops it starts", async () => {
    const dataDir = freshDir()
    const owner = spawnWorker(script, { DATA_DIR: dataDir, WORKER_MODE: "hold" })
    await owner.waitFor((m) => m.type === "loaded", 60_000)
    owner.open()
    await owner.waitFor((m) => m.type === "ready", 60_000)
    const before = listing(dataDir)
    const dbHash = sha256(join(dataDir, "guildpulse.db"))

    const second = spawnWorker(script, { DATA_DIR: dataDir, WORKER_MODE: "open" })
    await second.waitFor((m) => m.type === "loaded", 60_000)
    second.open()
    const exit = await second.exited
    assert.strictEqual(exit.code, 1)
    assert.include(second.stderr(), `pid ${owner.pid}`)
    assert.include(second.stderr(), "in use by another GuildPulse process")
    assert.deepStrictEqual(listing(dataDir), before, "the second process wrote nothing in the directory")
    assert.strictEqual(sha256(join(dataDir, "guildpulse.db")), dbHash)

    // In process too: the same refusal as a StoreError.
    assert.include(failureMessage(await Effect.runPromise(open(dataDir))), `pid ${owner.pid}`)

    owner.kill("SIGTERM")
    await owner.exited
    const third = spawnWorker(script, { DATA_DIR: dataDir, WORKER_MODE: "open" })
    await third.waitFor((m) => m.type === "loaded", 60_000)
    third.open()
    await third.waitFor((m) => m.type === "ready", 60_000)
    assert.strictEqual((await third.exited).code, 0, third.stderr())
  }, 180_000)

  it("SIGTERM writes what is pending (snapshots, events) before the process exits", async () => {
    const dataDir = freshDir()
    const worker = spawnWorker(script, { DATA_DIR: dataDir, WORKER_MODE: "shutdown" })
    await worker.waitFor((m) => m.type === "loaded", 60_000)
    worker.open()
    const written = await worker.waitFor((m) => m.type === "written", 60_000)
    assert.strictEqual(written["flushes"], 0, "nothing was written behind yet")
    worker.kill("SIGTERM")
    assert.strictEqual((await worker.exited).code, 0, worker.stderr())
    const found = await Effect.runPromise(
      Effect.gen(function* () {
        const snapshot = yield* (yield* SnapshotStore.SnapshotStore).get(profileKey("main"))
        const events = yield* (yield* EventLog.EventLog).query({ type: "store.state" })
        return { attemptedAtMs: Option.map(snapshot, (s) => s.attemptedAtMs), messages: events.events.map((e) => e.message) }
      }).pipe(Effect.provide(SqliteStores.layer({ dataDir, masterKeys: `k1:${Buffer.alloc(32, 3).toString("base64")}` })))
    )
    assert.deepStrictEqual(found, { attemptedAtMs: Option.some(4242), messages: ["pending at shutdown"] })
  }, 120_000)

  it("a lock left by a killed process is taken over", async () => {
    const dataDir = freshDir()
    const owner = spawnWorker(script, { DATA_DIR: dataDir, WORKER_MODE: "hold" })
    await owner.waitFor((m) => m.type === "loaded", 60_000)
    owner.open()
    await owner.waitFor((m) => m.type === "ready", 60_000)
    owner.kill("SIGKILL")
    await owner.exited
    assert.include(readFileSync(join(dataDir, "guildpulse.lock"), "utf8"), `"pid":${owner.pid}`)
    const exit = await Effect.runPromise(
      Effect.exit(Effect.scoped(Effect.map(Layer.build(SqliteDatabase.layer({ dataDir })), (context) => context)))
    )
    assert.isTrue(Exit.isSuccess(exit), failureMessage(exit))
    assert.isFalse(existsSync(join(dataDir, "guildpulse.lock")), "released when the layer closed")
  }, 120_000)
})

describe("ownership is the operating system's lock, not the record", () => {
  it("a record left by a previous owner whose pid is now someone else's, on another hostname, does not block", async () => {
    const dataDir = freshDir()
    mkdirSync(dataDir)
    // A container that came back: the old record names a live pid (our parent) and the old hostname.
    writeFileSync(join(dataDir, "guildpulse.lock"), JSON.stringify({ pid: process.ppid, hostname: "old-container", startedAt: "2026-12-01T00:00:00.000Z" }))
    const exit = await Effect.runPromise(open(dataDir))
    assert.isTrue(Exit.isSuccess(exit), failureMessage(exit))
  })
})

describe("a damaged database file is refused and left untouched", () => {
  const expectRefused = async (dataDir: string, expected: string) => {
    const path = join(dataDir, "guildpulse.db")
    const hash = sha256(path)
    const size = statSync(path).size
    const message = failureMessage(await Effect.runPromise(open(dataDir)))
    assert.include(message, path, message)
    assert.include(message, expected, message)
    assert.include(message, "left untouched")
    assert.strictEqual(sha256(path), hash, "the file is byte for byte what it was")
    assert.strictEqual(statSync(path).size, size)
    assert.isFalse(existsSync(join(dataDir, "guildpulse.lock")), "the lock is released")
  }

  it("not a database at all", async () => {
    const dataDir = freshDir()
    mkdirSync(dataDir)
    writeFileSync(join(dataDir, "guildpulse.db"), "these are not the bytes you are looking for\n".repeat(200))
    await expectRefused(dataDir, "does not start with the SQLite header")
  })

  it("truncated", async () => {
    const dataDir = freshDir()
    await seed(dataDir)
    const path = join(dataDir, "guildpulse.db")
    assert.isFalse(existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0, "closed cleanly: everything is in the main file")
    truncateSync(path, Math.floor(statSync(path).size / 2) + 100)
    await expectRefused(dataDir, "truncated")
  })

  it("a damaged page behind a valid header", async () => {
    const dataDir = freshDir()
    await seed(dataDir)
    const path = join(dataDir, "guildpulse.db")
    const bytes = readFileSync(path)
    const pageSize = bytes.readUInt16BE(16)
    // Garbage over every page but the first (the schema page stays readable, the tables do not).
    for (let offset = pageSize; offset < bytes.length; offset += 1) bytes[offset] = (offset * 131) & 0xff
    writeFileSync(path, bytes)
    await expectRefused(dataDir, "integrity check")
  })

  it("another application's SQLite database", async () => {
    const dataDir = freshDir()
    mkdirSync(dataDir)
    const Database = (await import("libsql")).default
    const foreign = new Database(join(dataDir, "guildpulse.db"))
    foreign.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')")
    foreign.close()
    await expectRefused(dataDir, "another application")
  })
})
