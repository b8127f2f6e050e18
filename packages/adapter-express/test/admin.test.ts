import { Redacted } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import express from "express"
import { Authenticator, guildPulse } from "../src/index.js"
import { ADMIN_KEY, auth, GUILD_ID, makeHarness, type Harness } from "./fixtures.js"

const READER_KEY = "reader-key-0123456789abcdef"
const SCOPED_KEY = "scoped-key-0123456789abcdef"

const authenticator = Authenticator.fromTable([
  { key: Redacted.make(READER_KEY), principal: { subject: "reader", scopes: new Set(["profiles:read"]), profiles: "*" } },
  {
    key: Redacted.make(SCOPED_KEY),
    principal: { subject: "scoped", scopes: new Set(["profiles:read", "profiles:write", "events:read", "profiles:refresh"]), profiles: new Set(["main"]) }
  }
])

describe("admin API", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness({ authenticator, bodyLimitBytes: 4096 })
  })
  afterAll(() => h.close())

  it("401 + WWW-Authenticate without a key, with a wrong key, or with another scheme", async () => {
    const missing = await request(h.app).get("/v1/profiles")
    expect(missing.status).toBe(401)
    expect(missing.headers["content-type"]).toMatch(/^application\/problem\+json/)
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="guildpulse"')
    const wrong = await request(h.app).get("/v1/profiles").set("Authorization", "Bearer not-the-key")
    expect(wrong.status).toBe(401)
    expect(wrong.headers["www-authenticate"]).toContain('error="invalid_token"')
    const basic = await request(h.app).get("/v1/profiles").set("Authorization", `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString("base64")}`)
    expect(basic.status).toBe(401)
  })

  it("403 when the key lacks the scope", async () => {
    const res = await request(h.app).put("/v1/profiles/main").set("Authorization", `Bearer ${READER_KEY}`).send({ label: "x", guildId: GUILD_ID })
    expect(res.status).toBe(403)
    expect(res.body.code).toBe("forbidden")
    expect(res.body.detail).toContain("profiles:write")
    expect((await request(h.app).get("/v1/events").set("Authorization", `Bearer ${READER_KEY}`)).status).toBe(403)
  })

  it("lists and gets profiles with their version as ETag; 304 on If-None-Match", async () => {
    const list = await request(h.app).get("/v1/profiles").set(auth)
    expect(list.status).toBe(200)
    expect(list.headers["cache-control"]).toBe("no-store")
    expect(list.body.profiles.map((p: { key: string }) => p.key)).toEqual(["cold", "demo", "main", "secret"])
    const one = await request(h.app).get("/v1/profiles/main").set(auth)
    expect(one.status).toBe(200)
    expect(one.body.key).toBe("main")
    // The token the engine uses (seeded into the vault at start) is reported, and proven by the bot's answer.
    const stats = await request(h.app).get("/v1/profiles/main/stats")
    const bot = stats.body.sources.find((s: { source: string }) => s.source === "bot")
    expect(bot.ok).toBe(true)
    const proven = await request(h.app).get("/v1/profiles/main").set(auth)
    expect(proven.body.token).toEqual({ present: true, status: "valid", lastValidatedAt: bot.fetchedAt })
    const listed = await request(h.app).get("/v1/profiles").set(auth)
    expect(listed.body.profiles.find((p: { key: string }) => p.key === "main").token).toEqual({ present: true, status: "valid", lastValidatedAt: bot.fetchedAt })
    expect(one.headers["etag"]).toBe(`"${one.body.version}"`)
    expect((await request(h.app).get("/v1/profiles/main").set(auth).set("If-None-Match", one.headers["etag"] as string)).status).toBe(304)
    expect((await request(h.app).get("/v1/profiles/nobody").set(auth)).status).toBe(404)
    const bad = await request(h.app).get("/v1/profiles/NOPE").set(auth)
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].field).toBe("profile")
  })

  it("PUT creates (201 + Location), replaces (200), honours If-Match (409) and If-None-Match: *", async () => {
    const created = await request(h.app).put("/v1/profiles/fresh-one").set(auth).send({ label: "Fresh", guildId: GUILD_ID })
    expect(created.status).toBe(201)
    expect(created.headers["location"]).toBe("/v1/profiles/fresh-one")
    expect(created.headers["etag"]).toBe('"1"')
    expect(created.body.refresh.ttlSeconds).toBe(300)
    const replaced = await request(h.app).put("/v1/profiles/fresh-one").set(auth).set("If-Match", '"1"').send({ label: "Fresher", guildId: GUILD_ID })
    expect(replaced.status).toBe(200)
    expect(replaced.body.version).toBe(2)
    expect(replaced.headers["etag"]).toBe('"2"')
    const conflict = await request(h.app).put("/v1/profiles/fresh-one").set(auth).set("If-Match", '"1"').send({ label: "Lost", guildId: GUILD_ID })
    expect(conflict.status).toBe(409)
    expect(conflict.body.code).toBe("conflict")
    const exists = await request(h.app).put("/v1/profiles/fresh-one").set(auth).set("If-None-Match", "*").send({ label: "Again", guildId: GUILD_ID })
    expect(exists.status).toBe(409)
    const missing = await request(h.app).put("/v1/profiles/not-there").set(auth).set("If-Match", "*").send({ label: "X", guildId: GUILD_ID })
    expect(missing.status).toBe(412)
    const badIfMatch = await request(h.app).put("/v1/profiles/fresh-one").set(auth).set("If-Match", "W/\"2\"").send({ label: "X", guildId: GUILD_ID })
    expect(badIfMatch.status).toBe(400)
    expect(badIfMatch.body.errors[0].field).toBe("If-Match")
  })

  it("PUT validation: 400 naming fields, body key must match the path", async () => {
    const invalid = await request(h.app).put("/v1/profiles/bad-input").set(auth).send({ label: "", guildId: "12", refresh: { ttlSeconds: 5 } })
    expect(invalid.status).toBe(400)
    expect(invalid.body.code).toBe("validation_failed")
    const fields = invalid.body.errors.map((e: { field: string }) => e.field).sort()
    expect(fields).toEqual(["guildId", "label", "refresh.ttlSeconds"])
    const otherKey = await request(h.app).put("/v1/profiles/bad-input").set(auth).send({ key: "other", label: "X", guildId: GUILD_ID })
    expect(otherKey.status).toBe(400)
    expect(otherKey.body.errors[0].field).toBe("key")
    const extra = await request(h.app).put("/v1/profiles/bad-input").set(auth).send({ label: "X", guildId: GUILD_ID, colour: "red" })
    expect(extra.status).toBe(400)
    expect(extra.body.errors[0].field).toBe("colour")
  })

  it("malformed JSON → 400 naming body; wrong media type → 415; too large → 413", async () => {
    const malformed = await request(h.app).put("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send('{"label": ')
    expect(malformed.status).toBe(400)
    expect(malformed.body.errors[0].field).toBe("body")
    const empty = await request(h.app).patch("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send("")
    expect(empty.status).toBe(400)
    expect(empty.body.errors[0].field).toBe("body")
    const text = await request(h.app).put("/v1/profiles/main").set(auth).set("Content-Type", "text/plain").send("label=x")
    expect(text.status).toBe(415)
    const large = await request(h.app)
      .put("/v1/profiles/main")
      .set(auth)
      .send({ label: "x".repeat(10_000), guildId: GUILD_ID })
    expect(large.status).toBe(413)
    expect(large.body.code).toBe("payload_too_large")
  })

  it("PATCH merges, bumps the version and invalidates the public answer", async () => {
    await request(h.app).get("/v1/profiles/main/stats")
    const patched = await request(h.app).patch("/v1/profiles/main").set(auth).set("Content-Type", "application/merge-patch+json").send(JSON.stringify({ public: false }))
    expect(patched.status).toBe(200)
    expect(patched.body.public).toBe(false)
    expect(patched.body.label).toBe("Main <b>server</b>")
    // Immediately hidden from anonymous callers (no sub-second memo survives a change made here).
    expect((await request(h.app).get("/v1/profiles/main/stats")).status).toBe(404)
    const conflict = await request(h.app).patch("/v1/profiles/main").set(auth).set("If-Match", '"1"').send({ public: true })
    expect(conflict.status).toBe(409)
    const restored = await request(h.app).patch("/v1/profiles/main").set(auth).set("If-Match", `"${patched.body.version}"`).send({ public: true })
    expect(restored.status).toBe(200)
    const invalid = await request(h.app).patch("/v1/profiles/main").set(auth).send({ refresh: { ttlSeconds: "soon" } })
    expect(invalid.status).toBe(400)
    expect(invalid.body.errors[0].field).toBe("refresh.ttlSeconds")
    expect((await request(h.app).patch("/v1/profiles/nobody").set(auth).send({ label: "X" })).status).toBe(404)
  })

  it("DELETE answers 204, then 404", async () => {
    await request(h.app).put("/v1/profiles/doomed").set(auth).send({ label: "Doomed", guildId: GUILD_ID })
    const conflict = await request(h.app).delete("/v1/profiles/doomed").set(auth).set("If-Match", '"7"')
    expect(conflict.status).toBe(409)
    const deleted = await request(h.app).delete("/v1/profiles/doomed").set(auth)
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe("")
    expect((await request(h.app).delete("/v1/profiles/doomed").set(auth)).status).toBe(404)
    expect((await request(h.app).get("/v1/profiles/doomed/stats")).status).toBe(404)
  })

  it("POST refresh answers 202 with nextAttemptAt", async () => {
    const res = await request(h.app).post("/v1/profiles/main/refresh").set(auth)
    expect(res.status).toBe(202)
    expect(res.body.profile).toBe("main")
    expect(Number.isNaN(Date.parse(res.body.nextAttemptAt))).toBe(false)
    expect((await request(h.app).post("/v1/profiles/nobody/refresh").set(auth)).status).toBe(404)
  })

  it("GET /v1/events filters, pages with a cursor, and names bad parameters", async () => {
    await request(h.app).get("/v1/profiles/cold/stats")
    const all = await request(h.app).get("/v1/events?limit=2").set(auth)
    expect(all.status).toBe(200)
    expect(all.body.events).toHaveLength(2)
    expect(typeof all.body.nextCursor).toBe("string")
    expect(all.headers["link"]).toMatch(/^<\/v1\/events\?limit=2&cursor=[^>]+>; rel="next"$/)
    const next = await request(h.app).get(`/v1/events?limit=2&cursor=${all.body.nextCursor}`).set(auth)
    expect(next.status).toBe(200)
    expect(next.body.events[0].id < all.body.events[1].id).toBe(true)
    const profile = await request(h.app).get("/v1/events?profile=main&type=profile&level=info&since=2020-01-01T00:00:00Z").set(auth)
    expect(profile.status).toBe(200)
    for (const event of profile.body.events) {
      expect(event.profile).toBe("main")
      expect(event.type.startsWith("profile.")).toBe(true)
    }
    const bad = await request(h.app).get("/v1/events?limit=0&level=loud&since=yesterday&type=nope&bogus=1").set(auth)
    expect(bad.status).toBe(400)
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["bogus", "level", "limit", "since", "type"])
    const order = await request(h.app).get("/v1/events?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z").set(auth)
    expect(order.status).toBe(400)
    expect(order.body.errors[0].field).toBe("until")
  })

  it("a key limited to some profiles sees nothing of the others", async () => {
    const key = { Authorization: `Bearer ${SCOPED_KEY}` }
    const list = await request(h.app).get("/v1/profiles").set(key)
    expect(list.body.profiles.map((p: { key: string }) => p.key)).toEqual(["main"])
    expect((await request(h.app).get("/v1/profiles/cold").set(key)).status).toBe(404)
    expect((await request(h.app).put("/v1/profiles/cold").set(key).send({ label: "X", guildId: GUILD_ID })).status).toBe(403)
    expect((await request(h.app).post("/v1/profiles/cold/refresh").set(key)).status).toBe(404)
    const events = await request(h.app).get("/v1/events?limit=1000").set(key)
    expect(events.status).toBe(200)
    for (const event of events.body.events) expect(event.profile).toBe("main")
    expect((await request(h.app).get("/v1/events?profile=cold").set(key)).body.events).toEqual([])
    // Non-public profiles stay hidden from it too.
    expect((await request(h.app).get("/v1/profiles/secret/stats").set(key)).status).toBe(404)
  })

  it("fresh=1 needs profiles:refresh (403 for a read-only key)", async () => {
    const res = await request(h.app).get("/v1/profiles/main/stats?fresh=1").set("Authorization", `Bearer ${READER_KEY}`)
    expect(res.status).toBe(403)
    expect(res.body.detail).toContain("profiles:refresh")
  })

  it("uses a body the host app already parsed with express.json()", async () => {
    const app = express()
    app.use(express.json())
    app.use(guildPulse({ runtime: h.runtime, adminKey: Redacted.make(ADMIN_KEY) }))
    const res = await request(app).put("/v1/profiles/parsed").set(auth).send({ label: "Parsed", guildId: GUILD_ID })
    expect(res.status).toBe(201)
    expect(res.body.label).toBe("Parsed")
  })

  it("405 with Allow on admin paths", async () => {
    const res = await request(h.app).post("/v1/profiles/main").set(auth)
    expect(res.status).toBe(405)
    expect(res.headers["allow"]).toBe("GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    expect((await request(h.app).delete("/v1/profiles").set(auth)).headers["allow"]).toBe("GET, HEAD, OPTIONS")
  })
})
