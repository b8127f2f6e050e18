import { request } from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import {
  countsAt,
  defaultFixtures,
  FakeDiscord,
  type FakeDiscordOptions,
  type FakeDiscordServer,
  FOREIGN_GUILD_ID,
  FOREIGN_GUILD_INVITE,
  InvalidScenarioError,
  inviteCountsAt,
  LARGE_GUILD_ID,
  LARGE_GUILD_INVITE,
  presenceBreakdownAt,
  RESET_TOLERANCE_MS,
  SANDBOX_BOT_TOKEN,
  SANDBOX_BOT_USER_ID,
  SANDBOX_SECOND_BOT_TOKEN,
  SMALL_GUILD_ID,
  SMALL_GUILD_INVITE,
  UNKNOWN_GUILD_ID,
  UNKNOWN_INVITE,
  WIDGET_DISABLED_GUILD_ID,
  WIDGET_DISABLED_GUILD_INVITE
} from "../src/sandbox/index.js"

// ---------------------------------------------------------------------------------------------------------
// Helpers

const running: Array<FakeDiscordServer> = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()))
})

const sandbox = async (options: FakeDiscordOptions = {}): Promise<FakeDiscordServer> => {
  const server = await FakeDiscord.start(options)
  running.push(server)
  return server
}

/** A hand-driven clock (2025-06-01T12:00:00.000Z by default). */
const manualClock = (startMs: number = Date.UTC(2025, 5, 1, 12)) => {
  let t = startMs
  return {
    now: (): number => t,
    advance: (ms: number): void => {
      t += ms
    }
  }
}

const BOT = { Authorization: `Bot ${SANDBOX_BOT_TOKEN}` }
const BOT2 = { Authorization: `Bot ${SANDBOX_SECOND_BOT_TOKEN}` }
const HIGH = { limit: 1000, windowMs: 1000 }
const RELAXED: FakeDiscordOptions["limits"] = {
  widget: HIGH,
  guild: HIGH,
  invite: HIGH,
  me: HIGH,
  globalPerSecond: 10_000,
  unauthenticatedPerSecond: 10_000
}

const widgetPath = (id: string): string => `/api/v10/guilds/${id}/widget.json`
const guildPath = (id: string): string => `/api/v10/guilds/${id}?with_counts=true`
const invitePath = (code: string): string => `/api/v10/invites/${code}?with_counts=true`

const get = (s: FakeDiscordServer, path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> =>
  fetch(`${s.url}${path}`, signal === undefined ? { headers } : { headers, signal })

const getJson = async (
  s: FakeDiscordServer,
  path: string,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> => {
  const res = await get(s, path, headers)
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
}

const control = async (s: FakeDiscordServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${s.url}/__sandbox/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** GET from a given local source address (for per-IP limits), with node:http because fetch cannot bind one. */
const getFrom = (s: FakeDiscordServer, path: string, localAddress: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, { localAddress, agent: false }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("error", reject)
    req.end()
  })

// ---------------------------------------------------------------------------------------------------------

describe("widget.json", () => {
  it("serves the documented shape for each widget-enabled fixture", async () => {
    const s = await sandbox({ limits: RELAXED })
    for (const id of [SMALL_GUILD_ID, LARGE_GUILD_ID, FOREIGN_GUILD_ID]) {
      const { status, body } = await getJson(s, widgetPath(id))
      expect(status).toBe(200)
      expect(Object.keys(body).sort()).toEqual(["channels", "id", "instant_invite", "members", "name", "presence_count"])
      expect(body["id"]).toBe(id)
      expect(typeof body["name"]).toBe("string")
      expect(typeof body["presence_count"]).toBe("number")
      const channels = body["channels"] as Array<Record<string, unknown>>
      for (const c of channels) expect(Object.keys(c).sort()).toEqual(["id", "name", "position"])
      const members = body["members"] as Array<Record<string, unknown>>
      expect(members.length).toBeLessThanOrEqual(100)
      expect(members.length).toBe(Math.min(100, body["presence_count"] as number))
      for (const m of members) {
        expect(m["discriminator"]).toBe("0000")
        expect(m["avatar"]).toBeNull()
        expect(["online", "idle", "dnd"]).toContain(m["status"])
        expect(typeof m["id"]).toBe("string")
        expect(typeof m["username"]).toBe("string")
        expect(m["avatar_url"]).toMatch(/^https:\/\/cdn\.discordapp\.com\/widget-avatars\//)
      }
    }
  })

  it("caps the large guild's member list at 100 while presence_count is in the tens of thousands", async () => {
    const s = await sandbox()
    const { body } = await getJson(s, widgetPath(LARGE_GUILD_ID))
    expect((body["members"] as Array<unknown>).length).toBe(100)
    expect(body["presence_count"]).toBeGreaterThan(30_000)
    expect(body["presence_count"]).toBeLessThan(50_000)
    expect(body["instant_invite"]).toBe(`https://discord.com/invite/${LARGE_GUILD_INVITE}`)
  })

  it("gives the small guild an instant invite, the foreign guild none, and serves the unversioned path too", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now })
    const v10 = await getJson(s, widgetPath(SMALL_GUILD_ID))
    expect(v10.body["instant_invite"]).toBe(`https://discord.com/invite/${SMALL_GUILD_INVITE}`)
    expect(v10.body["presence_count"]).toBeLessThan(100)
    const unversioned = await getJson(s, `/api/guilds/${SMALL_GUILD_ID}/widget.json`)
    expect(unversioned.status).toBe(200)
    expect(unversioned.body).toEqual(v10.body)
    expect(unversioned.headers.get("x-ratelimit-bucket")).toBe(v10.headers.get("x-ratelimit-bucket"))
    expect((await getJson(s, widgetPath(FOREIGN_GUILD_ID))).body["instant_invite"]).toBeNull()
  })

  it("answers 403 50004 when the widget is off and 404 10004 for unknown guilds", async () => {
    const s = await sandbox()
    const disabled = await getJson(s, widgetPath(WIDGET_DISABLED_GUILD_ID))
    expect(disabled.status).toBe(403)
    expect(disabled.body).toEqual({ code: 50004, message: "Widget Disabled" })
    expect(disabled.headers.get("content-type")).toBe("application/json")
    const unknown = await getJson(s, widgetPath(UNKNOWN_GUILD_ID))
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({ code: 10004, message: "Unknown Guild" })
  })

  it("rejects a valid-looking but wrong bot token even on the public widget", async () => {
    const s = await sandbox()
    expect((await get(s, widgetPath(SMALL_GUILD_ID), { Authorization: "Bot nope" })).status).toBe(401)
    expect((await get(s, widgetPath(SMALL_GUILD_ID), BOT)).status).toBe(200)
  })
})

describe("guild with counts", () => {
  it("returns the full guild object with counts only when asked", async () => {
    const s = await sandbox({ limits: RELAXED })
    for (const id of [SMALL_GUILD_ID, LARGE_GUILD_ID, WIDGET_DISABLED_GUILD_ID]) {
      const { status, body } = await getJson(s, guildPath(id), BOT)
      expect(status).toBe(200)
      expect(body).toMatchObject({ id, widget_enabled: id !== WIDGET_DISABLED_GUILD_ID })
      for (const key of ["name", "icon", "banner", "splash", "description", "features", "premium_tier", "premium_subscription_count", "vanity_url_code", "roles", "owner_id", "verification_level"]) {
        expect(body).toHaveProperty(key)
      }
      expect(body["premium_tier"]).toBe(defaultFixtures.guilds.find((g) => g.id === id)?.premiumTier)
      expect(body["approximate_member_count"]).toBeGreaterThanOrEqual(body["approximate_presence_count"] as number)
      const without = await getJson(s, `/api/v10/guilds/${id}`, BOT)
      expect(without.body).not.toHaveProperty("approximate_member_count")
      expect(without.body).not.toHaveProperty("approximate_presence_count")
    }
  })

  it("has an animated icon, ≈250k members and a vanity code on the large guild", async () => {
    const s = await sandbox()
    const { body } = await getJson(s, guildPath(LARGE_GUILD_ID), BOT)
    expect(body["icon"]).toMatch(/^a_[0-9a-f]{32}$/)
    expect(body["premium_tier"]).toBe(3)
    expect(body["vanity_url_code"]).toBe(LARGE_GUILD_INVITE)
    expect(body["approximate_member_count"]).toBeGreaterThan(240_000)
    expect(body["approximate_member_count"]).toBeLessThan(270_000)
  })

  it("answers 401 without or with a bad token and 404 10004 where the bot is not", async () => {
    const s = await sandbox({ limits: RELAXED })
    for (const headers of [{}, { Authorization: "Bot wrong" }, { Authorization: `Bearer ${SANDBOX_BOT_TOKEN}` }, { Authorization: SANDBOX_BOT_TOKEN }]) {
      const res = await getJson(s, guildPath(SMALL_GUILD_ID), headers)
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ code: 0, message: "401: Unauthorized" })
    }
    for (const [id, headers] of [[FOREIGN_GUILD_ID, BOT], [UNKNOWN_GUILD_ID, BOT], [LARGE_GUILD_ID, BOT2]] as const) {
      const res = await getJson(s, guildPath(id), headers)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ code: 10004, message: "Unknown Guild" })
    }
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT2)).status).toBe(200)
  })

  it("answers 400 50035 for a guild id that is not a snowflake", async () => {
    const s = await sandbox()
    const res = await getJson(s, "/api/v10/guilds/not-a-guild", BOT)
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ code: 50035, message: "Invalid Form Body" })
  })
})

describe("invites and users/@me", () => {
  it("resolves each fixture invite with counts only when asked", async () => {
    const s = await sandbox({ limits: RELAXED })
    const invites = [
      [SMALL_GUILD_INVITE, SMALL_GUILD_ID],
      [LARGE_GUILD_INVITE, LARGE_GUILD_ID],
      [WIDGET_DISABLED_GUILD_INVITE, WIDGET_DISABLED_GUILD_ID],
      [FOREIGN_GUILD_INVITE, FOREIGN_GUILD_ID]
    ] as const
    for (const [code, guildId] of invites) {
      const { status, body } = await getJson(s, invitePath(code))
      expect(status).toBe(200)
      expect(body).toMatchObject({ code, type: 0, expires_at: null })
      const guild = body["guild"] as Record<string, unknown>
      expect(guild["id"]).toBe(guildId)
      for (const key of ["name", "icon", "banner", "splash", "description", "features", "verification_level", "vanity_url_code", "nsfw_level", "premium_subscription_count"]) {
        expect(guild).toHaveProperty(key)
      }
      expect(Object.keys(body["channel"] as object).sort()).toEqual(["id", "name", "type"])
      expect(typeof body["approximate_member_count"]).toBe("number")
      expect(typeof body["approximate_presence_count"]).toBe("number")
      const without = await getJson(s, `/api/v10/invites/${code}`)
      expect(without.body).not.toHaveProperty("approximate_member_count")
    }
  })

  it("answers 404 10006 for an unknown invite", async () => {
    const s = await sandbox()
    const res = await getJson(s, invitePath(UNKNOWN_INVITE))
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ code: 10006, message: "Unknown Invite" })
  })

  it("returns the bot user for a valid token and 401 otherwise", async () => {
    const s = await sandbox()
    const me = await getJson(s, "/api/v10/users/@me", BOT)
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ id: SANDBOX_BOT_USER_ID, bot: true })
    expect(typeof me.body["username"]).toBe("string")
    expect(typeof me.body["discriminator"]).toBe("string")
    expect(me.body).toHaveProperty("avatar")
    expect((await getJson(s, "/api/v10/users/@me")).status).toBe(401)
    expect((await getJson(s, "/api/v10/users/@me", { Authorization: "Bot x" })).body).toEqual({ code: 0, message: "401: Unauthorized" })
  })

  it("answers 404 for unknown routes and 405 for other methods", async () => {
    const s = await sandbox()
    for (const path of ["/", "/api/v10/channels/1", "/api/guilds/" + SMALL_GUILD_ID, "/api/v9/users/@me"]) {
      const res = await getJson(s, path, BOT)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ code: 0, message: "404: Not Found" })
    }
    const post = await fetch(`${s.url}${widgetPath(SMALL_GUILD_ID)}`, { method: "POST" })
    expect(post.status).toBe(405)
    expect(await post.json()).toEqual({ code: 0, message: "405: Method Not Allowed" })
    expect((await fetch(`${s.url}/api/v10/users/@me`, { method: "DELETE", headers: BOT })).status).toBe(405)
  })
})

describe("rate limits", () => {
  it("sends Discord's headers, counting down per bucket and major parameter", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now, limits: { guild: { limit: 3, windowMs: 2000 } } })
    const resetAt = ((clock.now() + 2000) / 1000).toFixed(3)
    const seen: Array<[string | null, string | null]> = []
    for (let i = 0; i < 3; i++) {
      const res = await get(s, guildPath(SMALL_GUILD_ID), BOT)
      expect(res.headers.get("x-ratelimit-limit")).toBe("3")
      expect(res.headers.get("x-ratelimit-reset")).toBe(resetAt)
      seen.push([res.headers.get("x-ratelimit-remaining"), res.headers.get("x-ratelimit-reset-after")])
      clock.advance(100)
    }
    expect(seen).toEqual([["2", "2.000"], ["1", "1.900"], ["0", "1.800"]])
    const last = await get(s, guildPath(SMALL_GUILD_ID), BOT)
    expect(last.status).toBe(429)
    // Another guild is another bucket, but the same bucket hash (the major parameter is not part of it).
    const other = await get(s, guildPath(LARGE_GUILD_ID), BOT)
    expect(other.status).toBe(200)
    expect(other.headers.get("x-ratelimit-remaining")).toBe("2")
    expect(other.headers.get("x-ratelimit-bucket")).toBe(last.headers.get("x-ratelimit-bucket"))
    expect(other.headers.get("x-ratelimit-bucket")).toMatch(/^[0-9a-f]{32}$/)
    const widget = await get(s, widgetPath(SMALL_GUILD_ID))
    expect(widget.headers.get("x-ratelimit-bucket")).not.toBe(other.headers.get("x-ratelimit-bucket"))
  })

  it("answers an exhausted bucket with Discord's 429 and counts requests that ignored remaining 0", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now, limits: { widget: { limit: 2, windowMs: 1500 } } })
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(200)
    clock.advance(200)
    const second = await get(s, widgetPath(SMALL_GUILD_ID))
    expect(second.headers.get("x-ratelimit-remaining")).toBe("0")
    expect(second.headers.get("x-ratelimit-reset-after")).toBe("1.300")
    clock.advance(100)
    const limited = await get(s, widgetPath(SMALL_GUILD_ID))
    expect(limited.status).toBe(429)
    expect(limited.headers.get("retry-after")).toBe("2")
    expect(limited.headers.get("x-ratelimit-scope")).toBe("user")
    expect(limited.headers.get("x-ratelimit-global")).toBeNull()
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0")
    const text = await limited.text()
    expect(text).toContain('"retry_after":1.200')
    expect(JSON.parse(text)).toEqual({ message: "You are being rate limited.", retry_after: 1.2, global: false })
    clock.advance(1000)
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(429)
    let stats = s.stats()
    expect(stats.violations).toBe(2)
    expect(stats.rateLimited).toBe(2)
    expect(stats.violationsDetail[0]).toMatchObject({ route: "widget", major: SMALL_GUILD_ID, kind: "bucket-exhausted", earlyByMs: 1200 })
    expect(stats.violationsDetail[0]?.identity).toMatch(/^ip:/)
    // At the announced reset the bucket is fresh again.
    clock.advance(200)
    const after = await get(s, widgetPath(SMALL_GUILD_ID))
    expect(after.status).toBe(200)
    expect(after.headers.get("x-ratelimit-remaining")).toBe("1")
    stats = s.stats()
    expect(stats.violations).toBe(2)
    expect(stats.routes.widget).toMatchObject({ requests: 5, rateLimited: 2, statuses: { "200": 3, "429": 2 } })
  })

  it(`treats arrival within ${RESET_TOLERANCE_MS} ms before the reset as on time, but not earlier`, async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now, limits: { invite: { limit: 1, windowMs: 1000 } } })
    expect((await get(s, invitePath(SMALL_GUILD_INVITE))).status).toBe(200)
    clock.advance(1000 - RESET_TOLERANCE_MS - 1)
    expect((await get(s, invitePath(SMALL_GUILD_INVITE))).status).toBe(429)
    expect(s.stats().violations).toBe(1)
    clock.advance(1)
    expect((await get(s, invitePath(SMALL_GUILD_INVITE))).status).toBe(200)
    expect(s.stats().violations).toBe(1)
  })

  it("counts no violations for a client that waits for reset-after", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now, limits: { guild: { limit: 2, windowMs: 150 } } })
    let served = 0
    while (served < 8) {
      const res = await get(s, guildPath(SMALL_GUILD_ID), BOT)
      expect(res.status).toBe(200)
      served++
      if (res.headers.get("x-ratelimit-remaining") === "0") clock.advance(Number(res.headers.get("x-ratelimit-reset-after")) * 1000)
    }
    const stats = s.stats()
    expect(stats.violations).toBe(0)
    expect(stats.rateLimited).toBe(0)
  })

  it("counts a violation when a client retries inside the announced retry_after, none when it waits", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now, limits: { guild: { limit: 1, windowMs: 300 } } })
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(200)
    const limited = await get(s, guildPath(SMALL_GUILD_ID), BOT)
    expect(limited.status).toBe(429)
    const retryAfter = ((await limited.json()) as { retry_after: number }).retry_after
    expect(s.stats().violations).toBe(1) // sent although remaining was 0
    clock.advance(retryAfter * 1000)
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(200)
    expect(s.stats().violations).toBe(1)
  })

  it("applies the global limit per bot token", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now, limits: { ...RELAXED, globalPerSecond: 3 } })
    for (const id of [SMALL_GUILD_ID, LARGE_GUILD_ID, WIDGET_DISABLED_GUILD_ID]) expect((await get(s, guildPath(id), BOT)).status).toBe(200)
    clock.advance(400)
    const limited = await get(s, "/api/v10/users/@me", BOT)
    expect(limited.status).toBe(429)
    expect(limited.headers.get("x-ratelimit-global")).toBe("true")
    expect(limited.headers.get("x-ratelimit-scope")).toBe("global")
    expect(limited.headers.get("retry-after")).toBe("1")
    expect(await limited.json()).toEqual({ message: "You are being rate limited.", retry_after: 0.6, global: true, code: 0 })
    expect(s.stats().violations).toBe(0) // the client could not know
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT2)).status).toBe(200) // another token, another window
    clock.advance(100)
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(429)
    expect(s.stats().violations).toBe(1) // inside the announced window
    expect(s.stats().violationsDetail[0]).toMatchObject({ kind: "global-retry-after", identity: `bot:${SANDBOX_BOT_USER_ID}` })
    clock.advance(500)
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(200)
  })

  it("limits unauthenticated requests per client IP", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now, limits: { ...RELAXED, unauthenticatedPerSecond: 2 } })
    expect(await getFrom(s, widgetPath(SMALL_GUILD_ID), "127.0.0.1")).toBe(200)
    expect(await getFrom(s, invitePath(SMALL_GUILD_INVITE), "127.0.0.1")).toBe(200)
    const limited = await get(s, widgetPath(LARGE_GUILD_ID))
    expect(limited.status).toBe(429)
    expect(limited.headers.get("x-ratelimit-global")).toBe("true")
    expect(await getFrom(s, widgetPath(SMALL_GUILD_ID), "127.0.0.2")).toBe(200)
    expect((await get(s, widgetPath(SMALL_GUILD_ID), BOT)).status).toBe(200) // a token has its own window
    clock.advance(1000)
    expect(await getFrom(s, widgetPath(SMALL_GUILD_ID), "127.0.0.1")).toBe(200)
  })
})

describe("scenarios", () => {
  it("rate-limited: 429 with the requested wait, violations inside it, and a fresh 429 after it", async () => {
    const clock = manualClock()
    const s = await sandbox({ now: clock.now })
    s.setScenario({ mode: "rate-limited", target: { route: "guild" }, params: { retryAfterSeconds: 2.5 } })
    const res = await get(s, guildPath(SMALL_GUILD_ID), BOT)
    expect(res.status).toBe(429)
    expect(res.headers.get("retry-after")).toBe("3")
    expect(res.headers.get("x-ratelimit-scope")).toBe("user")
    expect(res.headers.get("x-ratelimit-reset-after")).toBe("2.500")
    expect(await res.json()).toEqual({ message: "You are being rate limited.", retry_after: 2.5, global: false })
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(200) // other route untouched
    clock.advance(1000)
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(429)
    expect(s.stats().violations).toBe(1)
    clock.advance(1500)
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(429)
    expect(s.stats().violations).toBe(1)
    s.setScenario({ mode: "healthy" })
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(200)
  })

  it("rate-limited with scope shared is not an invalid request", async () => {
    const s = await sandbox()
    s.setScenario({ mode: "rate-limited", params: { scope: "shared", retryAfterSeconds: 1 } })
    const res = await get(s, invitePath(SMALL_GUILD_INVITE))
    expect(res.status).toBe(429)
    expect(res.headers.get("x-ratelimit-scope")).toBe("shared")
    expect(s.stats().invalidRequests).toBe(0)
  })

  it("global-rate-limit: a global 429 with code 0", async () => {
    const s = await sandbox()
    expect((await control(s, "PUT", "scenario", { mode: "global-rate-limit", params: { retryAfterSeconds: 0.25 } })).status).toBe(200)
    const res = await get(s, "/api/v10/users/@me", BOT)
    expect(res.status).toBe(429)
    expect(res.headers.get("x-ratelimit-global")).toBe("true")
    expect(res.headers.get("x-ratelimit-scope")).toBe("global")
    expect(res.headers.get("retry-after")).toBe("1")
    expect(await res.json()).toEqual({ message: "You are being rate limited.", retry_after: 0.25, global: true, code: 0 })
  })

  it("outage: JSON 500/503, proxy HTML for 502/504, no rate-limit headers", async () => {
    const s = await sandbox()
    for (const status of [500, 502, 503, 504] as const) {
      s.setScenario({ mode: "outage", params: { status } })
      const res = await get(s, widgetPath(SMALL_GUILD_ID))
      expect(res.status).toBe(status)
      expect(res.headers.get("x-ratelimit-bucket")).toBeNull()
      const text = await res.text()
      if (status === 502 || status === 504) {
        expect(res.headers.get("content-type")).toMatch(/^text\/html/)
        expect(text).toContain(`<title>${status}`)
      } else {
        expect(JSON.parse(text)).toMatchObject({ code: 0 })
      }
    }
    s.setScenario({ mode: "outage" })
    expect((await get(s, invitePath(SMALL_GUILD_INVITE))).status).toBe(503)
  })

  it("slow: adds the requested latency", async () => {
    const s = await sandbox()
    s.setScenario({ mode: "slow", target: { guildId: SMALL_GUILD_ID }, params: { latencyMs: 250 } })
    const t0 = performance.now()
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(200)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240)
    // Only the target is slowed: with ten minutes of latency on it, another guild still answers (or the test times out).
    s.setScenario({ mode: "slow", target: { guildId: SMALL_GUILD_ID }, params: { latencyMs: 600_000 } })
    expect((await get(s, widgetPath(LARGE_GUILD_ID))).status).toBe(200)
  })

  it("timeout: holds the socket until the client gives up, and stop() still ends", async () => {
    const s = await sandbox()
    s.setScenario({ mode: "timeout" })
    const err = await get(s, widgetPath(SMALL_GUILD_ID), {}, AbortSignal.timeout(150)).then(
      () => undefined,
      (e: unknown) => e
    )
    expect((err as Error).name).toBe("TimeoutError")
    // A second held request is still open while we stop.
    const pending = get(s, widgetPath(SMALL_GUILD_ID)).then(
      () => "answered",
      () => "dropped"
    )
    // Held once the sandbox has counted it (it counts on arrival), not after a guessed pause.
    while (s.stats().routes.widget?.statuses["timeout"] !== 2) await new Promise((resolve) => setImmediate(resolve))
    // stop() ends although a request is held (or the test times out).
    await s.stop()
    expect(await pending).toBe("dropped")
    expect(s.stats().routes.widget?.statuses["timeout"]).toBe(2)
  })

  it("timeout with holdMs answers after the hold", async () => {
    const s = await sandbox()
    s.setScenario({ mode: "timeout", params: { holdMs: 100 } })
    const t0 = performance.now()
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(200)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90)
  })

  it("malformed: broken 200s of each kind", async () => {
    const s = await sandbox({ limits: RELAXED })
    s.setScenario({ mode: "malformed" })
    const invalid = await get(s, widgetPath(SMALL_GUILD_ID))
    expect(invalid.status).toBe(200)
    await expect(invalid.json()).rejects.toThrow()
    s.setScenario({ mode: "malformed", params: { kind: "wrong-types" } })
    const wrong = await getJson(s, widgetPath(SMALL_GUILD_ID))
    expect(typeof wrong.body["presence_count"]).toBe("string")
    const wrongGuild = await getJson(s, guildPath(SMALL_GUILD_ID), BOT)
    expect(typeof wrongGuild.body["approximate_member_count"]).toBe("string")
    s.setScenario({ mode: "malformed", params: { kind: "missing-fields" } })
    expect((await getJson(s, invitePath(SMALL_GUILD_INVITE))).body).not.toHaveProperty("approximate_member_count")
    s.setScenario({ mode: "malformed", params: { kind: "empty" } })
    expect(await (await get(s, widgetPath(SMALL_GUILD_ID))).text()).toBe("")
    s.setScenario({ mode: "malformed", params: { kind: "html" } })
    const html = await get(s, widgetPath(SMALL_GUILD_ID))
    expect(html.status).toBe(200)
    expect(html.headers.get("content-type")).toMatch(/^text\/html/)
  })

  it("flapping: every Nth request fails with a 5xx", async () => {
    const s = await sandbox({ limits: RELAXED })
    s.setScenario({ mode: "flapping", params: { failEveryN: 3, status: 502 } })
    const statuses: Array<number> = []
    for (let i = 0; i < 6; i++) statuses.push((await get(s, widgetPath(SMALL_GUILD_ID))).status)
    expect(statuses).toEqual([200, 200, 502, 200, 200, 502])
  })

  it("widget-disabled and unknown-guild narrow to a target guild", async () => {
    const s = await sandbox({ limits: RELAXED })
    s.setScenario({ mode: "widget-disabled", target: { guildId: SMALL_GUILD_ID } })
    expect((await getJson(s, widgetPath(SMALL_GUILD_ID))).body).toEqual({ code: 50004, message: "Widget Disabled" })
    expect((await getJson(s, guildPath(SMALL_GUILD_ID), BOT)).body["widget_enabled"]).toBe(false)
    expect((await get(s, widgetPath(LARGE_GUILD_ID))).status).toBe(200)

    s.setScenario({ mode: "unknown-guild", target: { guildId: LARGE_GUILD_ID } })
    expect((await getJson(s, widgetPath(LARGE_GUILD_ID))).body).toEqual({ code: 10004, message: "Unknown Guild" })
    expect((await getJson(s, guildPath(LARGE_GUILD_ID), BOT)).status).toBe(404)
    expect((await getJson(s, invitePath(LARGE_GUILD_INVITE))).body).toEqual({ code: 10006, message: "Unknown Invite" })
    // The earlier scenario for another target is still active.
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(403)
    expect(s.scenarios()).toHaveLength(2)
  })

  it("invalid-token: 401 for requests carrying a token, public calls unaffected", async () => {
    const s = await sandbox()
    s.setScenario({ mode: "invalid-token" })
    expect((await getJson(s, "/api/v10/users/@me", BOT)).body).toEqual({ code: 0, message: "401: Unauthorized" })
    expect((await get(s, guildPath(SMALL_GUILD_ID), BOT)).status).toBe(401)
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(200)
  })

  it("connection-reset: the socket is destroyed without a response", async () => {
    const s = await sandbox()
    s.setScenario({ mode: "connection-reset", target: { inviteCode: SMALL_GUILD_INVITE } })
    await expect(get(s, invitePath(SMALL_GUILD_INVITE))).rejects.toThrow()
    expect((await get(s, invitePath(LARGE_GUILD_INVITE))).status).toBe(200)
    expect(s.stats().routes.invite?.statuses["connection-reset"]).toBe(1)
  })

  it("replaces a scenario for the same target and clears all with healthy", async () => {
    const s = await sandbox({ limits: RELAXED })
    s.setScenario({ mode: "outage", target: { route: "widget" } })
    s.setScenario({ mode: "outage", target: { route: "widget" }, params: { status: 500 } })
    expect(s.scenarios()).toEqual([{ mode: "outage", target: { route: "widget" }, params: { status: 500 } }])
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(500)
    // A targeted healthy overrides a broader, older scenario.
    s.setScenario({ mode: "healthy", target: { route: "widget", guildId: LARGE_GUILD_ID } })
    expect((await get(s, widgetPath(LARGE_GUILD_ID))).status).toBe(200)
    const cleared = await control(s, "PUT", "scenario", { mode: "healthy" })
    expect(cleared).toEqual({ status: 200, body: { ok: true, scenarios: [] } })
    expect((await get(s, widgetPath(SMALL_GUILD_ID))).status).toBe(200)
  })
})

describe("count drift", () => {
  it("is a deterministic function of the injected clock and changes minutes apart", async () => {
    const clock = manualClock()
    const a = await sandbox({ now: clock.now, limits: RELAXED })
    const b = await sandbox({ now: clock.now, limits: RELAXED })
    const first = await getJson(a, widgetPath(LARGE_GUILD_ID))
    expect((await getJson(b, widgetPath(LARGE_GUILD_ID))).body).toEqual(first.body)
    const guild = defaultFixtures.guilds.find((g) => g.id === LARGE_GUILD_ID)
    if (guild === undefined) throw new Error("missing fixture")
    expect(first.body["presence_count"]).toBe(countsAt(guild, clock.now()).presenceCount)
    const breakdown = presenceBreakdownAt(guild, clock.now())
    expect(breakdown.online + breakdown.idle + breakdown.dnd).toBe(100)
    const statuses = (first.body["members"] as Array<{ status: string }>).map((m) => m.status)
    expect(statuses.filter((x) => x === "idle")).toHaveLength(breakdown.idle)

    clock.advance(20_000) // same minute: same numbers
    expect((await getJson(a, widgetPath(LARGE_GUILD_ID))).body["presence_count"]).toBe(first.body["presence_count"])
    const guildBefore = (await getJson(a, guildPath(LARGE_GUILD_ID), BOT)).body
    clock.advance(3 * 60_000)
    const later = await getJson(a, widgetPath(LARGE_GUILD_ID))
    expect(later.body["presence_count"]).not.toBe(first.body["presence_count"])
    const guildAfter = (await getJson(a, guildPath(LARGE_GUILD_ID), BOT)).body
    expect(guildAfter["approximate_member_count"]).not.toBe(guildBefore["approximate_member_count"])
  })

  it("follows a daily curve and serves invite counts from a 5-minute cache", () => {
    const guild = defaultFixtures.guilds.find((g) => g.id === LARGE_GUILD_ID)
    if (guild === undefined) throw new Error("missing fixture")
    const day = Date.UTC(2025, 5, 1)
    const peak = countsAt(guild, day + 18 * 3_600_000).presenceCount
    const trough = countsAt(guild, day + 6 * 3_600_000).presenceCount
    expect(peak).toBeGreaterThan(trough * 1.3)
    expect(countsAt(guild, day + 42_000)).toEqual(countsAt(guild, day + 1_000))
    expect(inviteCountsAt(guild, day + 4 * 60_000)).toEqual(countsAt(guild, day))
    expect(inviteCountsAt(guild, day + 5 * 60_000)).toEqual(countsAt(guild, day + 5 * 60_000))
  })
})

describe("control API", () => {
  it("rejects bad scenarios with 400 naming the field", async () => {
    const s = await sandbox()
    const cases: Array<[unknown, string]> = [
      ["{not json", "body"],
      [[1, 2], "body"],
      [{ mode: "broken" }, "mode"],
      [{}, "mode"],
      [{ mode: "outage", extra: 1 }, "extra"],
      [{ mode: "outage", target: "x" }, "target"],
      [{ mode: "outage", target: { route: "channels" } }, "target.route"],
      [{ mode: "outage", target: { guildId: "12" } }, "target.guildId"],
      [{ mode: "outage", target: { guild: SMALL_GUILD_ID } }, "target.guild"],
      [{ mode: "outage", params: { status: 418 } }, "params.status"],
      [{ mode: "slow", params: { latencyMs: -1 } }, "params.latencyMs"],
      [{ mode: "slow", params: { status: 503 } }, "params.status"],
      [{ mode: "flapping", params: { failEveryN: 0 } }, "params.failEveryN"],
      [{ mode: "malformed", params: { kind: "weird" } }, "params.kind"],
      [{ mode: "rate-limited", params: { retryAfterSeconds: "5" } }, "params.retryAfterSeconds"]
    ]
    for (const [body, field] of cases) {
      const res = await control(s, "PUT", "scenario", body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body["field"]).toBe(field)
      expect(res.body["message"]).toContain(field)
    }
    expect(s.scenarios()).toEqual([])
    expect(() => s.setScenario({ mode: "nope" } as never)).toThrow(InvalidScenarioError)
  })

  it("reports stats, resets them, and lists fixtures without tokens", async () => {
    const s = await sandbox()
    await get(s, widgetPath(SMALL_GUILD_ID))
    await get(s, widgetPath(WIDGET_DISABLED_GUILD_ID))
    await get(s, "/nope")
    const stats = await control(s, "GET", "stats")
    expect(stats.status).toBe(200)
    expect(stats.body).toMatchObject({
      totalRequests: 3,
      rateLimited: 0,
      violations: 0,
      violationsDetail: [],
      routes: { widget: { requests: 2, statuses: { "200": 1, "403": 1 }, rateLimited: 0 }, unmatched: { requests: 1 } }
    })
    s.setScenario({ mode: "outage" })
    expect((await control(s, "POST", "reset")).status).toBe(200)
    expect(s.stats().totalRequests).toBe(0)
    expect(s.scenarios()).toEqual([])
    expect((await control(s, "GET", "reset")).status).toBe(405)

    const res = await fetch(`${s.url}/__sandbox/fixtures`)
    const text = await res.text()
    expect(text).not.toContain(SANDBOX_BOT_TOKEN)
    expect(text).not.toContain(SANDBOX_SECOND_BOT_TOKEN)
    const fixtures = JSON.parse(text) as { guilds: Array<{ id: string; inviteCodes: Array<string> }> }
    expect(fixtures.guilds.map((g) => g.id)).toEqual([SMALL_GUILD_ID, LARGE_GUILD_ID, WIDGET_DISABLED_GUILD_ID, FOREIGN_GUILD_ID])
    expect(fixtures.guilds[0]?.inviteCodes).toEqual([SMALL_GUILD_INVITE])
  })
})
