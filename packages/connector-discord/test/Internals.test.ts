/** Pure pieces: header and body parsing, classification, CDN URLs, configuration, the FIFO lock. */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Deferred, Effect, Either, Fiber, Layer, TestClock } from "effect"
import { Cdn, DiscordConfig } from "../src/index.js"
import { Guild, Widget } from "../src/DiscordSchemas.js"
import { classifyStatus, decodeBody } from "../src/internal/classify.js"
import * as FifoLock from "../src/internal/FifoLock.js"
import { bucketObservation, parseRateLimitHeaders, rateLimitVerdict } from "../src/internal/rateLimitHeaders.js"
import { fieldsFromWidget } from "../src/WidgetSource.js"

describe("rate-limit headers", () => {
  const now = 1_700_000_000_000

  it("reads the bucket state, preferring Reset-After, and the processing instant", () => {
    const rl = parseRateLimitHeaders(
      {
        "x-ratelimit-limit": "5",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1700000000.750",
        "x-ratelimit-reset-after": "0.500",
        "x-ratelimit-bucket": "abcd1234"
      },
      now
    )
    assert.deepStrictEqual(rl, {
      limit: 5,
      remaining: 0,
      resetAfterMs: 500,
      resetAtMs: 1_700_000_000_750,
      bucket: "abcd1234",
      global: false,
      serverTimeMs: 1_700_000_000_250
    })
    // Relative reset wins over the absolute one (clock skew).
    assert.deepStrictEqual(bucketObservation(rl, now), { limit: 5, remaining: 0, resetAfterMs: 500 })
    assert.strictEqual(bucketObservation(parseRateLimitHeaders({ "x-ratelimit-limit": "5" }, now), now), undefined)
  })

  it("takes the announced wait from the body, Retry-After (integer, decimal or date) or Reset-After", () => {
    const headers = (h: Record<string, string>) => parseRateLimitHeaders(h, now)
    assert.deepInclude(rateLimitVerdict(headers({ "retry-after": "3" }), ""), { retryAfterMs: 3_000, from: "header", scope: "user" })
    assert.deepInclude(rateLimitVerdict(headers({ "retry-after": "0.25" }), "<html>"), { retryAfterMs: 250, from: "header" })
    assert.deepInclude(rateLimitVerdict(headers({ "retry-after": new Date(now + 4_000).toUTCString() }), ""), {
      retryAfterMs: 4_000,
      from: "header"
    })
    assert.deepInclude(rateLimitVerdict(headers({ "retry-after": "2" }), '{"retry_after": 1.337, "global": false}'), {
      retryAfterMs: 1_337,
      from: "body"
    })
    assert.deepInclude(rateLimitVerdict(headers({ "x-ratelimit-reset-after": "0.9" }), "{}"), { retryAfterMs: 900, from: "reset-after" })
    assert.deepInclude(rateLimitVerdict(headers({}), ""), { retryAfterMs: undefined, from: "none" })
    assert.deepInclude(rateLimitVerdict(headers({ "x-ratelimit-global": "true" }), '{"retry_after": 1}'), { global: true, scope: "global" })
    assert.deepInclude(rateLimitVerdict(headers({ "x-ratelimit-scope": "shared" }), '{"retry_after": 1}'), { global: false, scope: "shared" })
    // A body of the wrong shape is ignored rather than trusted.
    assert.deepInclude(rateLimitVerdict(headers({ "retry-after": "1" }), '{"retry_after": "soon"}'), { retryAfterMs: 1_000 })
  })
})

describe("classification", () => {
  it("maps statuses and Discord codes to reasons", () => {
    const cases: ReadonlyArray<[number, string, string]> = [
      [401, '{"message":"401: Unauthorized","code":0}', "unauthorized"],
      [403, '{"message":"Widget Disabled","code":50004}', "widget_disabled"],
      [403, '{"message":"Missing Access","code":50001}', "forbidden"],
      [404, '{"message":"Unknown Guild","code":10004}', "unknown_guild"],
      [404, '{"message":"Unknown Invite","code":10006}', "unknown_invite"],
      [404, '{"message":"404: Not Found","code":0}', "not_found"],
      [400, '{"message":"Invalid Form Body","code":50035}', "unknown_guild"],
      [500, '{"message":"500: Internal Server Error","code":0}', "server_error"],
      [502, "<html><head><title>502 Bad Gateway</title></head></html>", "server_error"],
      [301, "", "decode"]
    ]
    for (const [status, body, reason] of cases) {
      assert.strictEqual(classifyStatus("bot", status, body, undefined).reason, reason, `${status} ${body}`)
    }
    const proxy = classifyStatus("widget", 504, "<html><head><title>504 Gateway Time-out</title></head></html>", undefined)
    assert.include(proxy.message, "504 Gateway Time-out")
  })

  it("decodes tolerantly: extra and missing optional fields pass, wrong types and garbage fail", () => {
    const ok = decodeBody("widget", 200, "application/json", JSON.stringify({ id: "1", name: "W", presence_count: 3, extra: { x: 1 } }), Widget)
    assert.isTrue(Either.isRight(ok))
    if (Either.isRight(ok)) assert.deepStrictEqual(fieldsFromWidget(ok.right), { name: "W", online: 3 })
    const nullInvite = decodeBody("widget", 200, undefined, JSON.stringify({ id: "1", name: "W", presence_count: 3, instant_invite: null, members: [] }), Widget)
    assert.isTrue(Either.isRight(nullInvite))
    for (const body of ['{"id":"1","name":"W","presence_count":"3"}', '{"name":"W"}', "", "<!DOCTYPE html>", '{"id":"1",']) {
      const result = decodeBody("widget", 200, "text/html", body, Widget)
      assert.isTrue(Either.isLeft(result) && result.left.reason === "decode", body)
    }
    const negative = decodeBody("bot", 200, undefined, JSON.stringify({ id: "1", name: "G", approximate_presence_count: -1 }), Guild)
    assert.isTrue(Either.isLeft(negative))
  })
})

describe("Cdn", () => {
  it("builds icon, banner and avatar URLs", () => {
    assert.strictEqual(Cdn.guildIconUrl("1", "abc", 128), "https://cdn.discordapp.com/icons/1/abc.png?size=128")
    assert.strictEqual(Cdn.guildIconUrl("1", "a_abc", 64), "https://cdn.discordapp.com/icons/1/a_abc.gif?size=64")
    assert.strictEqual(Cdn.guildBannerUrl("1", "b", 1024, "https://cdn.example"), "https://cdn.example/banners/1/b.png?size=1024")
    assert.strictEqual(Cdn.defaultAvatarUrl({ id: "1175093856734219264", discriminator: "4821" }), "https://cdn.discordapp.com/embed/avatars/1.png")
    assert.match(Cdn.defaultAvatarUrl({ id: "1175093856734219264", discriminator: "0" }), /embed\/avatars\/[0-5]\.png$/)
  })
})

describe("DiscordConfig", () => {
  it("validates options, naming the field", () => {
    const error = (options: Partial<DiscordConfig.DiscordOptions>) => {
      const result = DiscordConfig.resolve(options)
      return Either.isLeft(result) ? String(result.left) : "ok"
    }
    assert.include(error({ baseUrl: "not a url" }), "baseUrl")
    assert.include(error({ baseUrl: "ftp://x" }), "baseUrl")
    assert.include(error({ iconSize: 100 }), "iconSize")
    assert.include(error({ globalRequestsPerSecond: 0 }), "globalRequestsPerSecond")
    assert.include(error({ requestTimeoutMs: 1.5 }), "requestTimeoutMs")
    const ok = DiscordConfig.resolve({ baseUrl: "http://127.0.0.1:8788/api/v10/" })
    assert.isTrue(Either.isRight(ok) && ok.right.baseUrl === "http://127.0.0.1:8788/api")
  })

  it.effect("reads the environment (DISCORD_API_BASE_URL, budgets) with defaults", () =>
    Effect.gen(function* () {
      const options = yield* DiscordConfig.DiscordConfig
      assert.strictEqual(options.baseUrl, "http://sandbox.local:9000/api")
      assert.strictEqual(options.globalRequestsPerSecond, 120)
      assert.strictEqual(options.invalidRequestLimit, DiscordConfig.DEFAULT_INVALID_REQUEST_LIMIT)
      assert.strictEqual(options.userAgent, DiscordConfig.DEFAULT_USER_AGENT)
    }).pipe(
      Effect.provide(
        DiscordConfig.layerConfig().pipe(
          Layer.provide(
            Layer.setConfigProvider(
              ConfigProvider.fromMap(new Map([["DISCORD_API_BASE_URL", "http://sandbox.local:9000/api"], ["DISCORD_GLOBAL_REQUESTS_PER_SECOND", "120"]]))
            )
          )
        )
      )
    ))

  it.effect("layerConfig takes a record of Configs (Config.Wrap), the rest defaulted", () =>
    Effect.gen(function* () {
      const options = yield* DiscordConfig.DiscordConfig
      assert.strictEqual(options.baseUrl, "http://wrapped.local/api")
      assert.strictEqual(options.requestTimeoutMs, 4321)
      assert.strictEqual(options.userAgent, DiscordConfig.DEFAULT_USER_AGENT)
    }).pipe(
      Effect.provide(
        DiscordConfig.layerConfig({ baseUrl: Config.succeed("http://wrapped.local/api"), requestTimeoutMs: Config.integer("MY_TIMEOUT") }).pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MY_TIMEOUT", "4321"]]))))
        )
      )
    ))

  it.effect("defaults to Discord's API", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* DiscordConfig.DiscordConfig).baseUrl, "https://discord.com/api")
    }).pipe(Effect.provide(DiscordConfig.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))))))

  it("keeps the User-Agent version equal to package.json's", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    assert.strictEqual(DiscordConfig.CONNECTOR_VERSION, pkg.version)
    assert.match(DiscordConfig.DEFAULT_USER_AGENT, /^DiscordBot \(https:\/\/\S+, \d+\.\d+\.\d+\)$/)
  })
})

describe("FifoLock", () => {
  /** Lets other fibers run until `done()` holds: waits for what the lock reports, not for time. */
  const until = (done: () => boolean) => Effect.whileLoop({ while: () => !done(), body: () => Effect.yieldNow(), step: () => undefined })

  it.effect("hands the lock to waiters in arrival order, and skips interrupted ones", () =>
    Effect.gen(function* () {
      const lock = FifoLock.unsafeMake()
      const order: Array<number> = []
      const release = yield* Deferred.make<void>()
      const hold = yield* Effect.fork(lock.withLock(Deferred.await(release)))
      yield* until(() => lock.locked())
      const fibers = []
      for (let i = 0; i < 5; i++) {
        fibers.push(yield* Effect.fork(lock.withLock(Effect.sync(() => order.push(i)))))
        yield* until(() => lock.waiting() === i + 1)
      }
      yield* Fiber.interrupt(fibers[2]!)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(hold)
      for (const f of fibers) yield* Fiber.await(f)
      assert.deepStrictEqual(order, [0, 1, 3, 4])
      assert.isFalse(lock.locked())
      assert.strictEqual(lock.waiting(), 0)
    }))

  it.effect("keyed locks are forgotten when idle", () =>
    Effect.gen(function* () {
      const keyed = FifoLock.unsafeMakeKeyed()
      const all = yield* Effect.fork(
        Effect.all([keyed.withLock("a")(Effect.sleep("5 millis")), keyed.withLock("b")(Effect.void), keyed.withLock("a")(Effect.void)], {
          concurrency: "unbounded"
        })
      )
      yield* TestClock.adjust("5 millis")
      yield* Fiber.join(all)
      assert.strictEqual(keyed.size(), 0)
    }))
})
