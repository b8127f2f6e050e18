import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Schema, TestClock } from "effect"
import { EventLog, InviteCode, Profiles, RefreshScheduler } from "../src/index.js"
import { engine } from "./fixtures.js"

const valid = { key: "gaming-hub", label: "Gaming hub", guildId: "223456789012345678", inviteCode: "https://discord.com/invite/GameOn" }

const fieldsOf = (error: unknown): Array<string> =>
  typeof error === "object" && error !== null && "issues" in error ? (error as { issues: Array<{ field: string }> }).issues.map((i) => i.field) : []

describe("InviteCode", () => {
  for (const [input, code] of [["abc", "abc"], ["discord.gg/abc", "abc"], ["https://discord.gg/abc", "abc"], ["https://discord.com/invite/abc?x=1", "abc"], ["http://discordapp.com/invite/abc/", "abc"]]) {
    it(`normalises ${input}`, () => assert.strictEqual(Schema.decodeUnknownSync(InviteCode)(input), code))
  }
  it("rejects garbage", () => assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(InviteCode)("https://evil.example/<x>"))))
})

describe("Profiles", () => {
  it.effect("creates with defaults, normalises the invite, emits an event and schedules the profile", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 10, 25))
      const profiles = yield* Profiles.Profiles
      const created = yield* profiles.create(valid)
      assert.strictEqual(created.inviteCode, "GameOn")
      assert.deepStrictEqual(created.refresh, { ttlSeconds: 300, maxStaleSeconds: 604_800 })
      assert.deepStrictEqual(created.fallback, { demo: "never" }, "no made-up numbers unless asked for")
      assert.strictEqual(created.version, 1)
      assert.deepStrictEqual(created.token, { present: false, status: "missing" })
      const events = yield* (yield* EventLog.EventLog).query({ type: "profile.created" })
      assert.strictEqual(events.events[0]?.profile, "gaming-hub")
      const status = yield* (yield* RefreshScheduler.RefreshScheduler).status
      assert.include(status.jobs.map((j) => j.profile), "gaming-hub")
    }).pipe(Effect.provide(engine({ scheduler: { scheduleAllOnStart: false } }))))

  const bad: ReadonlyArray<[string, unknown, string]> = [
    ["key", { ...valid, key: "Bad Key" }, "key"],
    ["guildId", { ...valid, guildId: "12" }, "guildId"],
    ["ttl", { ...valid, refresh: { ttlSeconds: 5 } }, "refresh.ttlSeconds"],
    ["label", { ...valid, label: "" }, "label"],
    // Found by the bad-input sweep: labels are shown on other sites, so no controls and no bidi overrides.
    ["label with NUL", { ...valid, label: "Gaming\u0000hub" }, "label"],
    ["label with BEL", { ...valid, label: "Gaming\u0007hub" }, "label"],
    ["label with U+202E", { ...valid, label: "Gaming \u202ebuh" }, "label"],
    ["label with U+2066", { ...valid, label: "\u2066Gaming hub" }, "label"],
    ["label with a lone surrogate", { ...valid, label: "Gaming \ud800 hub" }, "label"],
    ["invite", { ...valid, inviteCode: "no spaces allowed" }, "inviteCode"],
    ["theme", { ...valid, display: { theme: "neon" } }, "display.theme"],
    ["colour", { ...valid, display: { colors: { background: "red;}body{x:y" } } }, "display.colors.background"],
    ["extra field", { ...valid, botToken: "x" }, "botToken"],
    ["not an object", "hello", "(root)"]
  ]
  for (const [name, input, field] of bad) {
    it.effect(`create refuses a bad ${name} naming '${field}'`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip((yield* Profiles.Profiles).create(input))
        assert.strictEqual(error._tag, "ValidationError")
        assert.include(fieldsOf(error), field)
      }).pipe(Effect.provide(engine({ scheduler: { scheduleAllOnStart: false } }))))
  }

  it.effect("update refuses a label with a bidi override, naming 'label'", () =>
    Effect.gen(function* () {
      const profiles = yield* Profiles.Profiles
      yield* profiles.create(valid)
      const error = yield* Effect.flip(profiles.update("gaming-hub", { label: "evil\u202etxt.exe" }))
      assert.strictEqual(error._tag, "ValidationError")
      assert.include(fieldsOf(error), "label")
    }).pipe(Effect.provide(engine({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("keeps labels with emoji, accents and right-to-left scripts", () =>
    Effect.gen(function* () {
      const created = yield* (yield* Profiles.Profiles).create({ ...valid, label: "Café 🎮 مرحبا" })
      assert.strictEqual(created.label, "Café 🎮 مرحبا")
    }).pipe(Effect.provide(engine({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("reports every invalid field at once", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* Profiles.Profiles).create({ key: "", label: "", guildId: "x" }))
      assert.includeMembers(fieldsOf(error), ["key", "label", "guildId"])
    }).pipe(Effect.provide(engine({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("update uses optimistic versions; a stale version is a Conflict", () =>
    Effect.gen(function* () {
      const profiles = yield* Profiles.Profiles
      yield* profiles.create(valid)
      const updated = yield* profiles.update("gaming-hub", { refresh: { ttlSeconds: 120 }, inviteCode: null }, 1)
      assert.strictEqual(updated.version, 2)
      assert.strictEqual(updated.refresh.ttlSeconds, 120)
      assert.isUndefined(updated.inviteCode)
      const conflict = yield* Effect.flip(profiles.update("gaming-hub", { label: "x" }, 1))
      assert.strictEqual(conflict._tag, "Conflict")
      const badPatch = yield* Effect.flip(profiles.update("gaming-hub", { refresh: { ttlSeconds: 99999 } }))
      assert.include(fieldsOf(badPatch), "refresh.ttlSeconds")
      const badVersion = yield* Effect.flip(profiles.update("gaming-hub", {}, -3))
      assert.include(fieldsOf(badVersion), "expectedVersion")
      const duplicate = yield* Effect.flip(profiles.create(valid))
      assert.strictEqual(duplicate._tag, "Conflict")
    }).pipe(Effect.provide(engine({ scheduler: { scheduleAllOnStart: false } }))))

  it.effect("put creates then replaces, keeping createdAt; delete removes and unschedules", () =>
    Effect.gen(function* () {
      const profiles = yield* Profiles.Profiles
      const first = yield* profiles.put("gaming-hub", { label: "A", guildId: valid.guildId })
      assert.isTrue(first.created)
      const second = yield* profiles.put("gaming-hub", { label: "B", guildId: valid.guildId }, 1)
      assert.isFalse(second.created)
      assert.strictEqual(second.profile.version, 2)
      assert.strictEqual(second.profile.createdAt, first.profile.createdAt)
      yield* profiles.delete("gaming-hub")
      const missing = yield* Effect.flip(profiles.get("gaming-hub"))
      assert.strictEqual(missing._tag, "ProfileNotFound")
      const status = yield* (yield* RefreshScheduler.RefreshScheduler).status
      assert.notInclude(status.jobs.map((j) => j.profile), "gaming-hub")
      const gone = yield* Effect.flip(profiles.delete("gaming-hub"))
      assert.strictEqual(gone._tag, "ProfileNotFound")
      const mismatch = yield* Effect.flip(profiles.put("other", { ...valid }))
      assert.include(fieldsOf(mismatch), "key")
      const createOnly = yield* Effect.flip(profiles.put("fresh-one", { label: "F", guildId: valid.guildId }, 0).pipe(
        Effect.zipRight(profiles.put("fresh-one", { label: "F", guildId: valid.guildId }, 0))
      ))
      assert.strictEqual(createOnly._tag, "Conflict")
      const badKey = yield* Effect.flip(profiles.get("../etc"))
      assert.include(fieldsOf(badKey), "profile")
    }).pipe(Effect.provide(engine({ scheduler: { scheduleAllOnStart: false } }))))
})
