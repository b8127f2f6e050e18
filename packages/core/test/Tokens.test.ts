import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted, TestClock } from "effect"
import { EventLog, ProfileKey, ProfileRepository, SecretCrypto, SecretVault, Tokens, TokenVerifier } from "../src/index.js"
import { vaultTestKeys, profileKey } from "../src/testing/index.js"
import { engine } from "./fixtures.js"

const GUILD = "123456789012345678"
const START = Date.UTC(2026, 0, 1)
const DAY = 86_400_000

/** Discord as the verifier sees it; tests edit it to revoke a token or remove the bot from the guild. */
const discordBots = () => ({
  "sandbox-token": { botId: "1", botName: "Pulse", guildIds: [GUILD] },
  "sandbox-token-new": { botId: "1", botName: "Pulse", guildIds: [GUILD] },
  "sandbox-token-elsewhere": { botId: "2", botName: "Other", guildIds: ["999999999999999999"] }
}) as Record<string, { botId: string; botName: string; guildIds: Array<string> }>

const withTokens = (bots = discordBots(), options: Tokens.TokensOptions = { revalidateEvery: false }, vault?: Layer.Layer<SecretVault.SecretVault>) => {
  const base = engine()
  const stores = vault === undefined ? base : Layer.merge(base, vault)
  return Tokens.layer(options).pipe(Layer.provideMerge(TokenVerifier.layerStatic(bots)), Layer.provideMerge(stores))
}

const storedToken = Effect.flatMap(SecretVault.SecretVault, (vault) => Effect.map(vault.get(ProfileKey.make("main")), Option.map(Redacted.value)))
const metadata = Effect.flatMap(ProfileRepository.ProfileRepository, (repository) => Effect.map(repository.get(profileKey("main")), (p) => Option.getOrThrow(p).token))
const eventsOf = (type: "token.set" | "token.invalid" | "token.validated" | "token.rotation_due" | "token.removed") =>
  Effect.flatMap(EventLog.EventLog, (log) => Effect.map(log.query({ type }), (page) => page.events))

describe("Tokens", () => {
  it.effect("set checks the token with Discord, stores it sealed, and records valid metadata with rotatedAt", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(START)
      const tokens = yield* Tokens.Tokens
      const meta = yield* tokens.set("main", Redacted.make("sandbox-token-new"))
      const now = new Date(START).toISOString()
      assert.deepStrictEqual(meta, { present: true, status: "valid", rotatedAt: now, lastValidatedAt: now })
      assert.deepStrictEqual(yield* metadata, meta)
      assert.deepStrictEqual(yield* storedToken, Option.some("sandbox-token-new"))
      const [event] = yield* eventsOf("token.set")
      assert.strictEqual(event?.profile, "main")
      assert.notInclude(JSON.stringify(event), "sandbox-token")
    }).pipe(Effect.provide(withTokens())))

  it.effect("set refuses an unknown token and a bot outside the guild with the reason, storing nothing", () =>
    Effect.gen(function* () {
      const tokens = yield* Tokens.Tokens
      const unknown = yield* Effect.flip(tokens.set("main", Redacted.make("sandbox-token-unknown")))
      assert.strictEqual(unknown._tag, "TokenRefused")
      assert.strictEqual(unknown._tag === "TokenRefused" ? unknown.reason : "", "invalid_token")
      const elsewhere = yield* Effect.flip(tokens.set("main", Redacted.make("sandbox-token-elsewhere")))
      assert.strictEqual(elsewhere._tag === "TokenRefused" ? elsewhere.reason : elsewhere._tag, "bot_not_in_guild")
      assert.deepStrictEqual(yield* storedToken, Option.some("sandbox-token"), "the previous token stays")
      const refusals = yield* eventsOf("token.invalid")
      assert.deepStrictEqual(refusals.map((e) => e.outcome).sort(), ["bot_not_in_guild", "invalid_token"])
      assert.notInclude(JSON.stringify(refusals), "sandbox-token")
    }).pipe(Effect.provide(withTokens())))

  it.effect("set refuses bad input naming the field; an unknown profile is ProfileNotFound", () =>
    Effect.gen(function* () {
      const tokens = yield* Tokens.Tokens
      for (const bad of ["", "   ", "two words", "x".repeat(Tokens.MAX_TOKEN_LENGTH + 1)]) {
        const error = yield* Effect.flip(tokens.set("main", Redacted.make(bad)))
        assert.strictEqual(error._tag, "ValidationError")
        assert.deepStrictEqual(error._tag === "ValidationError" ? error.issues.map((i) => i.field) : [], ["token"])
      }
      assert.strictEqual((yield* Effect.flip(tokens.set("Bad Key", Redacted.make("sandbox-token")))) ._tag, "ValidationError")
      assert.strictEqual((yield* Effect.flip(tokens.set("nobody", Redacted.make("sandbox-token"))))._tag, "ProfileNotFound")
    }).pipe(Effect.provide(withTokens())))

  it.effect("remove deletes the token and the metadata says missing", () =>
    Effect.gen(function* () {
      const tokens = yield* Tokens.Tokens
      assert.deepStrictEqual(yield* tokens.remove("main"), { present: false, status: "missing" })
      assert.isTrue(Option.isNone(yield* storedToken))
      assert.strictEqual((yield* eventsOf("token.removed")).length, 1)
    }).pipe(Effect.provide(withTokens())))

  it.effect("re-validates on its schedule: a revoked token turns invalid with the reason; an old one is due for rotation", () => {
    const bots = discordBots()
    // The clock is set before the layer starts its schedule (else the TestClock would run every 6-hour round since 1970).
    return Effect.zipRight(TestClock.setTime(START), Effect.gen(function* () {
      const tokens = yield* Tokens.Tokens
      yield* tokens.set("main", Redacted.make("sandbox-token"))
      yield* TestClock.adjust("6 hours")
      assert.strictEqual((yield* metadata).lastValidatedAt, new Date(START + 6 * 3_600_000).toISOString())
      assert.strictEqual((yield* eventsOf("token.validated")).length, 1)

      delete bots["sandbox-token"]
      yield* TestClock.adjust("5 hours")
      assert.strictEqual((yield* metadata).status, "valid", "not checked again before the interval")
      yield* TestClock.adjust("1 hour")
      const revoked = yield* metadata
      assert.strictEqual(revoked.status, "invalid")
      assert.include(revoked.problem ?? "", "401")
      assert.deepStrictEqual(yield* storedToken, Option.some("sandbox-token"), "an invalid token is kept until replaced")

      bots["sandbox-token"] = { botId: "1", botName: "Pulse", guildIds: [GUILD] }
      assert.strictEqual((yield* eventsOf("token.rotation_due")).length, 0)
      yield* TestClock.adjust(`${90 * DAY - 12 * 3_600_000} millis`)
      const due = yield* eventsOf("token.rotation_due")
      assert.strictEqual(due.length, 1)
      assert.strictEqual(due[0]?.level, "warn")
      assert.include(due[0]?.message ?? "", "90 days")
      assert.strictEqual((yield* metadata).status, "valid")
      assert.isUndefined((yield* metadata).problem)
    }).pipe(Effect.provide(withTokens(bots, { revalidateEvery: "6 hours" }))))
  })

  it.effect("a token whose key left the keyring is invalid naming the key, and stays stored", () => {
    const envelopes = new Map<string, string>()
    const ring = (keys: Redacted.Redacted<string>) => Either.getOrThrow(SecretCrypto.parseKeyring(Redacted.value(keys)))
    return Effect.gen(function* () {
      yield* Effect.provide(
        Effect.flatMap(SecretVault.SecretVault, (vault) => vault.put(ProfileKey.make("main"), Redacted.make("sandbox-token"))),
        SecretVault.layerMemory(undefined, { keyring: ring(vaultTestKeys.k1), envelopes })
      )
      const tokens = yield* Tokens.Tokens
      const report = yield* tokens.revalidateAll
      assert.deepStrictEqual(report.invalid, ["main"])
      const meta = yield* metadata
      assert.strictEqual(meta.status, "invalid")
      assert.include(meta.problem ?? "", "key 'k1'")
      assert.isTrue(envelopes.has("main"))
      assert.deepStrictEqual(yield* tokens.reencrypt, { rewritten: 0, unchanged: 0, unreadable: ["main"] })
    }).pipe(Effect.provide(withTokens(discordBots(), { revalidateEvery: false }, SecretVault.layerMemory(undefined, { keyring: ring(vaultTestKeys.k2), envelopes }))))
  })
})

