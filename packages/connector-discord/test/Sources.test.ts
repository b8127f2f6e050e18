import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import { StatsSource } from "@guildpulse/core"
import type { StatsFields } from "@guildpulse/core"
import { BotSource, DiscordLive, InviteSource, TokenValidator, WidgetSource } from "../src/index.js"
import {
  countsAt,
  defaultFixtures,
  FOREIGN_GUILD_ID,
  FOREIGN_GUILD_INVITE,
  type GuildFixture,
  inviteCountsAt,
  LARGE_GUILD_ID,
  LARGE_GUILD_INVITE,
  presenceBreakdownAt,
  SANDBOX_BOT_USER_ID,
  SANDBOX_SECOND_BOT_USER_ID,
  SMALL_GUILD_ID,
  SMALL_GUILD_INVITE,
  WIDGET_DISABLED_GUILD_ID,
  WIDGET_DISABLED_GUILD_INVITE
} from "../src/sandbox/index.js"
import { botToken, harness, json, profileFor, RELAXED, RELAXED_CLIENT, Sandbox, sandboxRequests, scriptedServer, secondBotToken } from "./helpers.js"

const guild = (id: string): GuildFixture => defaultFixtures.guilds.find((g) => g.id === id)!

/**
 * The sandbox's counts move per minute of its clock: pinned here, so each answer is compared with the sandbox
 * function at that one instant (no dependence on when the request happens to run).
 */
const PINNED_MS = Date.UTC(2026, 0, 2, 3, 4, 5)
const Pinned = harness({ limits: RELAXED, now: () => PINNED_MS }, RELAXED_CLIENT)

const Relaxed = harness({ limits: RELAXED }, RELAXED_CLIENT)

describe("widget source", () => {
  it.live("decodes every widget-enabled fixture: online = presence_count, the member list only as a sample", () =>
    Effect.gen(function* () {
      for (const id of [SMALL_GUILD_ID, LARGE_GUILD_ID, FOREIGN_GUILD_ID]) {
        const fixture = guild(id)
        const fields = yield* WidgetSource.fetch(id)
        const counts = countsAt(fixture, PINNED_MS)
        const breakdown = presenceBreakdownAt(fixture, PINNED_MS)
        assert.strictEqual(fields.name, fixture.name)
        assert.strictEqual(fields.online, counts.presenceCount)
        assert.deepStrictEqual(fields.presence, { ...breakdown, sampleSize: Math.min(100, counts.presenceCount) })
        assert.strictEqual(fields.members, undefined, "the widget has no member count")
        if (fixture.instantInviteCode === null) assert.strictEqual(fields.instantInvite, undefined)
        else assert.strictEqual(fields.instantInvite, `https://discord.com/invite/${fixture.instantInviteCode}`)
      }
      // The large guild: tens of thousands online, a sample of 100 — never confused.
      const large = yield* WidgetSource.fetch(LARGE_GUILD_ID)
      assert.strictEqual(large.presence?.sampleSize, 100)
      assert.strictEqual(large.online, countsAt(guild(LARGE_GUILD_ID), PINNED_MS).presenceCount)
    }).pipe(Effect.provide(Pinned)))
})

describe("bot source", () => {
  it.live("decodes every guild the bot is in, with icon/banner CDN URLs and counts", () =>
    Effect.gen(function* () {
      // The harness points the connector's CDN at the sandbox's own (`cdnUrl`), where these icons exist.
      const { cdnUrl } = yield* Sandbox
      for (const id of [SMALL_GUILD_ID, LARGE_GUILD_ID, WIDGET_DISABLED_GUILD_ID]) {
        const fixture = guild(id)
        const fields = yield* BotSource.fetch(id, botToken)
        const counts = countsAt(fixture, PINNED_MS)
        const expected: StatsFields = {
          name: fixture.name,
          members: counts.memberCount,
          online: counts.presenceCount,
          boosts: fixture.premiumSubscriptionCount,
          boostTier: fixture.premiumTier,
          ...(fixture.description !== null ? { description: fixture.description } : {}),
          ...(fixture.icon !== null
            ? { iconUrl: `${cdnUrl}/icons/${id}/${fixture.icon}.${fixture.icon.startsWith("a_") ? "gif" : "png"}?size=256` }
            : {}),
          ...(fixture.banner !== null ? { bannerUrl: `${cdnUrl}/banners/${id}/${fixture.banner}.png?size=1024` } : {})
        }
        assert.deepStrictEqual(fields, expected)
      }
      const large = yield* BotSource.fetch(LARGE_GUILD_ID, botToken)
      assert.isTrue(large.iconUrl?.endsWith(".gif?size=256"), "an a_ icon is animated")
    }).pipe(Effect.provide(Pinned)))

  it.live("sends nothing without a token", () =>
    Effect.gen(function* () {
      const before = yield* sandboxRequests
      const error = yield* Effect.flip(BotSource.fetch(SMALL_GUILD_ID, undefined))
      assert.strictEqual(error.reason, "unauthorized")
      assert.strictEqual(yield* sandboxRequests, before)
    }).pipe(Effect.provide(Relaxed)))
})

describe("invite source", () => {
  it.live("decodes every fixture invite with its (cached) counts", () =>
    Effect.gen(function* () {
      const cases = [
        [SMALL_GUILD_INVITE, SMALL_GUILD_ID],
        [LARGE_GUILD_INVITE, LARGE_GUILD_ID],
        [WIDGET_DISABLED_GUILD_INVITE, WIDGET_DISABLED_GUILD_ID],
        [FOREIGN_GUILD_INVITE, FOREIGN_GUILD_ID]
      ] as const
      for (const [code, id] of cases) {
        const fixture = guild(id)
        const fields = yield* InviteSource.fetch(code, { expectedGuildId: id })
        const counts = inviteCountsAt(fixture, PINNED_MS)
        assert.strictEqual(fields.name, fixture.name)
        assert.strictEqual(fields.members, counts.memberCount)
        assert.strictEqual(fields.online, counts.presenceCount)
        assert.strictEqual(fields.boosts, fixture.premiumSubscriptionCount)
        assert.strictEqual(fields.boostTier, undefined, "invites carry no tier")
        assert.strictEqual(fields.iconUrl === undefined, fixture.icon === null)
        assert.strictEqual(fields.description, fixture.description ?? undefined)
      }
    }).pipe(Effect.provide(Pinned)))

  it.live("refuses an invite that leads to another guild than the profile's", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(InviteSource.fetch(LARGE_GUILD_INVITE, { expectedGuildId: SMALL_GUILD_ID }))
      assert.strictEqual(error.reason, "unknown_invite")
      assert.include(error.message, LARGE_GUILD_ID)
    }).pipe(Effect.provide(Relaxed)))
})

describe("DiscordSource (core's StatsSource port)", () => {
  it.effect("dispatches on the source and stamps fetchedAtMs from Effect's Clock", () =>
    Effect.gen(function* () {
      // The TestClock stands still while the real sandbox answers, so the stamp is exactly the time set here.
      const stampedAt = Date.UTC(2026, 0, 2, 3, 4, 5)
      yield* TestClock.setTime(stampedAt)
      const source = yield* StatsSource.StatsSource
      const profile = profileFor(SMALL_GUILD_ID, { inviteCode: SMALL_GUILD_INVITE })
      for (const name of ["widget", "bot", "invite"] as const) {
        const stats = yield* source.fetch({ source: name, profile, token: botToken })
        assert.strictEqual(stats.source, name)
        assert.strictEqual(stats.fetchedAtMs, stampedAt)
        assert.strictEqual(stats.fields.name, "Pulse Makers")
        assert.isNumber(stats.fields.online)
      }
      const noInvite = yield* Effect.flip(source.fetch({ source: "invite", profile: profileFor(SMALL_GUILD_ID), token: botToken }))
      assert.strictEqual(noInvite.reason, "unknown_invite")
    }).pipe(Effect.provide(Relaxed)))
})

describe("TokenValidator", () => {
  it.live("names the bot behind each token, and classifies a bad one", () =>
    Effect.gen(function* () {
      const first = yield* TokenValidator.validateToken(botToken)
      assert.strictEqual(first.id, SANDBOX_BOT_USER_ID)
      assert.isTrue(first.bot)
      const { cdnUrl } = yield* Sandbox
      assert.strictEqual(first.avatarUrl.slice(0, cdnUrl.length), cdnUrl)
      assert.match(first.avatarUrl.slice(cdnUrl.length), /^\/avatars\/\d+\/[0-9a-f]+\.png\?size=256$/)
      const second = yield* TokenValidator.validateToken(secondBotToken)
      assert.strictEqual(second.id, SANDBOX_SECOND_BOT_USER_ID)
      assert.match(second.avatarUrl, /\/embed\/avatars\/\d\.png$/, "no avatar: Discord's default")
      const bad = yield* Effect.flip(TokenValidator.validateToken(Redacted.make("sandbox.not-a-real-token")))
      assert.strictEqual(bad.reason, "unauthorized")
      assert.strictEqual(bad.status, 401)
    }).pipe(Effect.provide(Relaxed)))
})

describe("TokenValidator.verify (core's TokenVerifier)", () => {
  it.live("accepts a bot in the guild; refuses an unknown token and a bot outside the guild with the reason", () =>
    Effect.gen(function* () {
      const ok = yield* TokenValidator.verify(SMALL_GUILD_ID, botToken)
      assert.strictEqual(ok.botId, SANDBOX_BOT_USER_ID)
      const second = yield* Effect.flip(TokenValidator.verify(LARGE_GUILD_ID, secondBotToken))
      assert.strictEqual(second._tag, "TokenRefused")
      assert.strictEqual(second._tag === "TokenRefused" ? second.reason : "", "bot_not_in_guild")
      assert.include(second.message, LARGE_GUILD_ID)
      const foreign = yield* Effect.flip(TokenValidator.verify(FOREIGN_GUILD_ID, botToken))
      assert.strictEqual(foreign._tag === "TokenRefused" ? foreign.reason : foreign._tag, "bot_not_in_guild")
      const bad = yield* Effect.flip(TokenValidator.verify(SMALL_GUILD_ID, Redacted.make("sandbox.not-a-real-token")))
      assert.strictEqual(bad._tag === "TokenRefused" ? bad.reason : bad._tag, "invalid_token")
      for (const error of [second, foreign, bad]) assert.notInclude(error.message, Redacted.value(botToken))
    }).pipe(Effect.provide(Relaxed)))
})

describe("requests on the wire", () => {
  it.scopedLive("v10 paths, Discord's User-Agent, Authorization only on bot calls", () =>
    Effect.gen(function* () {
      const server = yield* scriptedServer((req, res) => {
        if (req.url?.includes("/widget.json")) return json(res, 200, { id: SMALL_GUILD_ID, name: "W", presence_count: 3, members: [] })
        return json(res, 200, { id: SMALL_GUILD_ID, name: "G", approximate_member_count: 10, approximate_presence_count: 2 })
      })
      const program = Effect.gen(function* () {
        yield* WidgetSource.fetch(SMALL_GUILD_ID)
        yield* BotSource.fetch(SMALL_GUILD_ID, botToken)
      })
      yield* program.pipe(Effect.provide(DiscordLive.layer({ baseUrl: `${server.url}/api/v10/` })))
      const [widget, bot] = server.requests
      assert.strictEqual(widget?.url, `/api/v10/guilds/${SMALL_GUILD_ID}/widget.json`)
      assert.strictEqual(bot?.url, `/api/v10/guilds/${SMALL_GUILD_ID}?with_counts=true`)
      assert.match(String(widget?.headers["user-agent"]), /^DiscordBot \(https?:\/\/\S+, \d+\.\d+\.\d+\)$/)
      assert.strictEqual(widget?.headers["authorization"], undefined)
      assert.strictEqual(bot?.headers["authorization"], `Bot ${Redacted.value(botToken)}`)
      assert.strictEqual(bot?.headers["accept"], "application/json")
      assert.notProperty(bot?.headers ?? {}, "traceparent", "no trace propagation to Discord")
    }))

  it.live("the sandbox sees one request per call", () =>
    Effect.gen(function* () {
      const sandbox = yield* Sandbox
      yield* BotSource.fetch(SMALL_GUILD_ID, botToken)
      yield* WidgetSource.fetch(SMALL_GUILD_ID)
      const stats = sandbox.stats()
      assert.strictEqual(stats.routes.guild?.requests, 1)
      assert.strictEqual(stats.routes.widget?.requests, 1)
    }).pipe(Effect.provide(Relaxed)))
})
