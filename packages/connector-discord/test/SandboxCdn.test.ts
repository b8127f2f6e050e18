/**
 * The sandbox is also the fixtures' CDN: guild icons, banners and bot avatars as generated PNGs, so that pages
 * built against it show images instead of broken ones; the connector's image URLs point there.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll, beforeAll } from "vitest"
import { BotSource, InviteSource, TokenValidator } from "../src/index.js"
import {
  CDN_MAX_DRAWN_PX,
  defaultFixtures,
  FakeDiscord,
  type FakeDiscordServer,
  LARGE_GUILD_ID,
  SANDBOX_BOT_USER_ID,
  SMALL_GUILD_ID,
  SMALL_GUILD_INVITE
} from "../src/sandbox/index.js"
import { botToken, harness, RELAXED, RELAXED_CLIENT, Sandbox } from "./helpers.js"

const PNG_SIGNATURE = "89504e470d0a1a0a"

/** Status, content type and (for a PNG) the size in its IHDR. */
const load = async (url: string) => {
  const response = await fetch(url)
  const bytes = Buffer.from(await response.arrayBuffer())
  const png = bytes.subarray(0, 8).toString("hex") === PNG_SIGNATURE
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    size: png ? [bytes.readUInt32BE(16), bytes.readUInt32BE(20)] : undefined,
    bytes
  }
}

describe("the sandbox's CDN", () => {
  let sandbox: FakeDiscordServer
  beforeAll(async () => {
    sandbox = await FakeDiscord.start()
  })
  afterAll(() => sandbox?.stop())

  it("serves every fixture guild's icon and banner, and the bots' avatars, as PNGs of the asked size", async () => {
    assert.strictEqual(sandbox.cdnUrl, `${sandbox.url}/cdn`)
    assert.strictEqual(sandbox.apiUrl, `${sandbox.url}/api`)
    const icons = defaultFixtures.guilds.filter((g) => g.icon !== null)
    assert.isAtLeast(icons.length, 3)
    const seen = new Set<string>()
    for (const guild of icons) {
      const ext = guild.icon!.startsWith("a_") ? "gif" : "png"
      const icon = await load(`${sandbox.cdnUrl}/icons/${guild.id}/${guild.icon}.${ext}?size=64`)
      assert.deepStrictEqual([icon.status, icon.type, icon.size], [200, "image/png", [64, 64]], guild.name)
      seen.add(icon.bytes.toString("base64"))
    }
    assert.strictEqual(seen.size, icons.length, "each guild has its own picture")
    const large = defaultFixtures.guilds.find((g) => g.id === LARGE_GUILD_ID)!
    const banner = await load(`${sandbox.cdnUrl}/banners/${LARGE_GUILD_ID}/${large.banner}.png?size=1024`)
    assert.deepStrictEqual([banner.status, banner.size], [200, [CDN_MAX_DRAWN_PX, 288]])
    const bot = defaultFixtures.bots.find((b) => b.user.id === SANDBOX_BOT_USER_ID)!
    assert.deepStrictEqual((await load(`${sandbox.cdnUrl}/avatars/${SANDBOX_BOT_USER_ID}/${bot.user.avatar}.png`)).size, [128, 128])
    assert.deepStrictEqual((await load(`${sandbox.cdnUrl}/embed/avatars/3.png?size=32`)).size, [32, 32])
    // The same image twice is the same bytes.
    const small = defaultFixtures.guilds.find((g) => g.id === SMALL_GUILD_ID)!
    const url = `${sandbox.cdnUrl}/icons/${SMALL_GUILD_ID}/${small.icon}.png?size=64`
    assert.isTrue((await load(url)).bytes.equals((await load(url)).bytes))
  })

  it("answers 404 for an unknown or stale hash, 400 for a bad size, and stays up in an API outage", async () => {
    const small = defaultFixtures.guilds.find((g) => g.id === SMALL_GUILD_ID)!
    assert.strictEqual((await load(`${sandbox.cdnUrl}/icons/${SMALL_GUILD_ID}/0123456789abcdef.png`)).status, 404)
    assert.strictEqual((await load(`${sandbox.cdnUrl}/icons/${LARGE_GUILD_ID}/${small.icon}.png`)).status, 404)
    assert.strictEqual((await load(`${sandbox.cdnUrl}/splashes/${SMALL_GUILD_ID}/${small.icon}.png`)).status, 404)
    assert.strictEqual((await load(`${sandbox.cdnUrl}/icons/${SMALL_GUILD_ID}/${small.icon}.png?size=100`)).status, 400)
    const before = sandbox.stats().totalRequests
    sandbox.setScenario({ mode: "outage" })
    assert.strictEqual((await load(`${sandbox.cdnUrl}/icons/${SMALL_GUILD_ID}/${small.icon}.png`)).status, 200)
    sandbox.clearScenarios()
    assert.strictEqual(sandbox.stats().totalRequests, before, "CDN requests are not Discord API requests")
  })
})

describe("the connector against the sandbox", () => {
  it.live("hands out icon URLs on the sandbox's CDN, and they load", () =>
    Effect.gen(function* () {
      const { cdnUrl } = yield* Sandbox
      const bot = yield* BotSource.fetch(SMALL_GUILD_ID, botToken)
      const invite = yield* InviteSource.fetch(SMALL_GUILD_INVITE, { expectedGuildId: SMALL_GUILD_ID })
      const me = yield* TokenValidator.validateToken(botToken)
      for (const url of [bot.iconUrl, invite.iconUrl, me.avatarUrl]) {
        assert.isTrue(url?.startsWith(`${cdnUrl}/`), url)
        const image = yield* Effect.promise(() => load(url!))
        assert.deepStrictEqual([image.status, image.type], [200, "image/png"], url)
      }
    }).pipe(Effect.provide(harness({ limits: RELAXED }, RELAXED_CLIENT))))
})
