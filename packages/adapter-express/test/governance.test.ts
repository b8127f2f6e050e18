import { Effect, Redacted } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ApiKeyAuth, ObservabilityRoutes } from "../src/index.js"
import { auth, GUILD_ID, makeHarness, type Harness } from "./fixtures.js"

/** Bytes that belong to profiles other than `main` (keys, labels, guild ids). */
const OTHER_BYTES = [':"cold"', ':"secret"', ':"demo"', "Cold", "Hidden", "223456789012345678", "323456789012345678", "423456789012345678"]
const expectNoOtherProfile = (text: string) => {
  for (const bytes of OTHER_BYTES) expect(text).not.toContain(bytes)
}

const accessSeen: Array<unknown> = []
const observability = {
  metrics: (access: { profiles: unknown }) =>
    Effect.sync(() => {
      accessSeen.push(access.profiles)
      return { status: 200, headers: { "Content-Type": "text/plain" }, body: "ok\n" }
    }),
  health: (access: { profiles: unknown }) =>
    Effect.sync(() => {
      accessSeen.push(access.profiles)
      return { status: 200, headers: { "Content-Type": "application/json" }, body: "{}" }
    }),
  getAlertRules: Effect.succeed({ status: 200, headers: { "Content-Type": "application/json" }, body: '{"rules":[{"name":"r1"}]}' }),
  putAlertRules: (body: unknown) => Effect.succeed({ status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
  testAlert: () => Effect.succeed({ status: 200, headers: { "Content-Type": "application/json" }, body: "{}" })
} as unknown as ObservabilityRoutes.ObservabilityHandlers

describe("scrypt ApiKeyCrypto", () => {
  it("hash/verify round trip at the default cost; a wrong secret, a tampered hash and garbage are refused", async () => {
    const crypto = ApiKeyAuth.makeCrypto()
    const secret = Redacted.make(ApiKeyAuth.randomId(40))
    const hash = await Effect.runPromise(crypto.hash(secret))
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(hash).not.toContain(Redacted.value(secret))
    expect(await Effect.runPromise(crypto.verify(secret, hash))).toBe(true)
    expect(await Effect.runPromise(crypto.verify(Redacted.make(`${Redacted.value(secret)}x`), hash))).toBe(false)
    const tampered = hash.slice(0, -2) + (hash.endsWith("AA") ? "BB" : "AA")
    expect(await Effect.runPromise(crypto.verify(secret, tampered))).toBe(false)
    expect(await Effect.runPromise(crypto.verify(secret, "sha256$abc"))).toBe(false)
    // Two hashes of one secret differ (salted).
    expect(await Effect.runPromise(crypto.hash(secret))).not.toBe(hash)
  })
  it("ids are base62 of the asked length", () => {
    expect(ApiKeyAuth.randomId(16)).toMatch(/^[A-Za-z0-9]{16}$/)
  })
})

describe("API keys, audit and isolation over HTTP", () => {
  let h: Harness
  const keys: Record<string, { id: string; secret: string }> = {}
  const bearer = (name: string) => ({ Authorization: `Bearer ${keys[name]!.secret}` })

  const issue = async (name: string, body: Record<string, unknown>) => {
    const res = await request(h.app).post("/v1/keys").set(auth).send({ name, ...body })
    expect(res.status).toBe(201)
    keys[name] = { id: res.body.key.id, secret: res.body.secret }
    return res
  }

  beforeAll(async () => {
    h = await makeHarness({ governance: ApiKeyAuth.governanceMemory({ scrypt: { cost: 2 ** 10 } }), extraRoutes: ObservabilityRoutes.routes(observability) })
    await issue("limited", { role: "admin", profiles: ["main"] })
    await issue("viewer", { role: "viewer" })
    await issue("noscope", { scopes: ["analytics:read"] })
    await issue("expiring", { role: "admin", expiresAt: "2026-06-01T13:00:00Z" })
    await issue("revoked", { role: "admin" })
    expect((await request(h.app).delete(`/v1/keys/${keys["revoked"]!.id}`).set(auth)).status).toBe(200)
    // Activity on other profiles: changes (audit) and refreshes (events).
    expect((await request(h.app).patch("/v1/profiles/cold").set(auth).send({ label: "Cold 2" })).status).toBe(200)
    expect((await request(h.app).post("/v1/profiles/cold/refresh").set(auth)).status).toBe(202)
    expect((await request(h.app).patch("/v1/profiles/main").set(bearer("limited")).send({ label: "Main 2" })).status).toBe(200)
    await h.clock.advance(2 * 3_600_000)
  }, 60_000) // a safety net for a saturated machine (five slow hashes and a dozen requests)
  afterAll(() => h.close())

  it("POST /v1/keys shows the secret once; GET lists without secrets or hashes; lastUsedAt and useCount count uses", async () => {
    const created = await issue("counted", { role: "viewer", profiles: ["main"] })
    expect(created.body.secret).toMatch(new RegExp(`^gp_${created.body.key.id}_[A-Za-z0-9]{40}$`))
    expect(created.headers["cache-control"]).toBe("no-store")
    expect(created.body.key).toEqual({ id: created.body.key.id, name: "counted", role: "viewer", scopes: ["profiles:read", "health:read", "events:read", "metrics:read", "analytics:read"], profiles: ["main"], createdAt: "2026-06-01T14:00:00.000Z", useCount: 0 })
    expect((await request(h.app).get("/v1/profiles/main").set(bearer("counted"))).status).toBe(200)
    expect((await request(h.app).get("/v1/profiles").set(bearer("counted"))).status).toBe(200)
    const list = await request(h.app).get("/v1/keys").set(auth)
    expect(list.status).toBe(200)
    expect(list.text).not.toContain(created.body.secret.slice(20))
    expect(list.text).not.toContain("scrypt")
    const counted = list.body.keys.find((k: { name: string }) => k.name === "counted")
    expect(counted.useCount).toBe(2)
    expect(counted.lastUsedAt).toBe("2026-06-01T14:00:00.000Z")
    expect(list.body.keys.find((k: { name: string }) => k.name === "revoked").revokedAt).toBe("2026-06-01T12:00:00.000Z")
  })

  it("POST /v1/keys refuses bad input naming the field, and a limited key cannot mint a broader one", async () => {
    const bad = await request(h.app).post("/v1/keys").set(auth).send({ name: "x", scopes: ["root"] })
    expect(bad.status).toBe(400)
    expect(bad.headers["content-type"]).toMatch(/^application\/problem\+json/)
    expect(bad.body.errors[0].field).toBe("scopes.0")
    const broader = await request(h.app).post("/v1/keys").set(bearer("limited")).send({ name: "x", role: "admin" })
    expect(broader.status).toBe(403)
    const other = await request(h.app).post("/v1/keys").set(bearer("limited")).send({ name: "x", role: "viewer", profiles: ["cold"] })
    expect(other.status).toBe(403)
    expect((await request(h.app).get("/v1/keys").set(bearer("limited"))).body.keys.map((k: { name: string }) => k.name)).toEqual(["counted"].filter(() => false).concat(
      (await request(h.app).get("/v1/keys").set(auth)).body.keys.filter((k: { profiles?: Array<string> }) => k.profiles?.every((p) => p === "main")).map((k: { name: string }) => k.name)
    ))
    expect((await request(h.app).delete(`/v1/keys/${keys["viewer"]!.id}`).set(bearer("limited"))).status).toBe(404)
    expect((await request(h.app).delete("/v1/keys/nope").set(auth)).status).toBe(404)
  })

  it("every admin change is in the audit log: who, what, when, from where, before/after without secrets", async () => {
    const res = await request(h.app).get("/v1/audit?profile=cold").set(auth)
    expect(res.status).toBe(200)
    expect(res.body.entries.map((e: { action: string }) => e.action)).toEqual(["profile.refresh", "profile.update"])
    const update = res.body.entries[1]
    expect(update.keyId).toBe("bootstrap-admin")
    expect(update.at).toBe("2026-06-01T12:00:00.000Z")
    expect(update.ip).toMatch(/127\.0\.0\.1/)
    expect(update.before.label).toBe("Cold")
    expect(update.after.label).toBe("Cold 2")
    expect(update.before.token).toBeUndefined()
    const byLimited = await request(h.app).get(`/v1/audit?key=${keys["limited"]!.id}`).set(auth)
    expect(byLimited.body.entries.map((e: { action: string; profile: string }) => `${e.action}:${e.profile}`)).toEqual(["profile.update:main"])
    const created = await request(h.app).get("/v1/audit?action=key.create&limit=2").set(auth)
    expect(created.body.entries).toHaveLength(2)
    expect(created.text).not.toMatch(/gp_[A-Za-z0-9]{16}_/)
    expect(created.text).not.toContain("scrypt")
    expect(created.headers["link"]).toContain(`cursor=${created.body.nextCursor}`)
    const next = await request(h.app).get(`/v1/audit?action=key.create&limit=2&cursor=${created.body.nextCursor}`).set(auth)
    expect(next.body.entries[0].id < created.body.entries[1].id).toBe(true)
    expect((await request(h.app).get("/v1/audit?action=key.revoke").set(auth)).body.entries[0].after.name).toBe("revoked")
    const window = await request(h.app).get("/v1/audit?since=2026-06-01T13:00:00Z&until=2026-06-01T15:00:00Z&action=profile").set(auth)
    expect(window.body.entries).toEqual([])
    const badLimit = await request(h.app).get("/v1/audit?limit=0").set(auth)
    expect(badLimit.status).toBe(400)
    expect(badLimit.body.errors[0].field).toBe("limit")
    expect((await request(h.app).get("/v1/audit?since=yesterday").set(auth)).body.errors[0].field).toBe("since")
    // The profile filter is core's ProfileKey (one pattern, one message everywhere).
    const badProfile = await request(h.app).get("/v1/audit?profile=Not_A_Key").set(auth)
    expect(badProfile.status).toBe(400)
    expect(badProfile.body.errors[0].field).toBe("profile")
    expect(badProfile.body.errors[0].message).toContain("starting with a letter or digit")
  })

  it("alert rule changes are audited; alert routes refuse profile-limited keys", async () => {
    expect((await request(h.app).put("/v1/alerts/rules").set(auth).send({ rules: [{ name: "r2" }] })).status).toBe(200)
    const entry = (await request(h.app).get("/v1/audit?action=alerts").set(auth)).body.entries[0]
    expect(entry.action).toBe("alerts.rules.put")
    expect(entry.before).toEqual({ rules: [{ name: "r1" }] })
    expect(entry.after).toEqual({ rules: [{ name: "r2" }] })
    for (const [method, path] of [["get", "/v1/alerts/rules"], ["put", "/v1/alerts/rules"], ["post", "/v1/alerts/test"]] as const) {
      expect((await request(h.app)[method](path).set(bearer("limited")).send({})).status).toBe(403)
    }
  })

  it("metrics and health get the key's profile allow-list", async () => {
    accessSeen.length = 0
    expect((await request(h.app).get("/metrics").set(bearer("limited"))).status).toBe(200)
    expect((await request(h.app).get("/v1/health").set(bearer("limited"))).status).toBe(200)
    expect((await request(h.app).get("/metrics").set(bearer("viewer"))).status).toBe(200)
    expect(accessSeen.map((p) => (p === "*" ? "*" : [...(p as Set<string>)]))).toEqual([["main"], ["main"], "*"])
  })

  // The matrix: every admin and read route × credentials → exactly one expected status.
  const routes: ReadonlyArray<{ method: "get" | "put" | "patch" | "post" | "delete"; path: string; body?: object }> = [
    { method: "get", path: "/v1/profiles" },
    { method: "get", path: "/v1/profiles/main" },
    { method: "put", path: "/v1/profiles/main", body: { label: "M", guildId: GUILD_ID } },
    { method: "patch", path: "/v1/profiles/main", body: { label: "M" } },
    { method: "delete", path: "/v1/profiles/zzz-none" },
    { method: "post", path: "/v1/profiles/main/refresh" },
    { method: "get", path: "/v1/events" },
    { method: "get", path: "/v1/keys" },
    { method: "post", path: "/v1/keys", body: { name: "n", role: "viewer" } },
    { method: "delete", path: "/v1/keys/AAAAAAAAAAAAAAAA" },
    { method: "get", path: "/v1/audit" },
    { method: "get", path: "/metrics" },
    { method: "get", path: "/v1/health" },
    { method: "get", path: "/v1/alerts/rules" },
    { method: "put", path: "/v1/alerts/rules", body: {} },
    { method: "post", path: "/v1/alerts/test", body: {} }
  ]
  const credentials: ReadonlyArray<[string, () => Record<string, string>, number, string]> = [
    ["no key", () => ({}), 401, "unauthorized"],
    ["a wrong secret for a real id", () => ({ Authorization: `Bearer gp_${keys["viewer"]!.id}_${"A".repeat(40)}` }), 401, "unauthorized"],
    ["an unknown id", () => ({ Authorization: `Bearer gp_ZZZZZZZZZZZZZZZZ_${"A".repeat(40)}` }), 401, "unauthorized"],
    ["a malformed header", () => ({ Authorization: `Bearer ${keys["viewer"]!.secret} extra` }), 401, "unauthorized"],
    ["a key in the Basic scheme", () => ({ Authorization: `Basic ${Buffer.from(keys["viewer"]!.secret).toString("base64")}` }), 401, "unauthorized"],
    ["an expired key", () => bearer("expiring"), 401, "unauthorized"],
    ["a revoked key", () => bearer("revoked"), 401, "unauthorized"],
    ["a key without the scope", () => bearer("noscope"), 403, "forbidden"]
  ]
  for (const route of routes) {
    for (const [what, headers, status, code] of credentials) {
      it(`${route.method.toUpperCase()} ${route.path} with ${what} → ${status}`, async () => {
        const res = await request(h.app)[route.method](route.path).set(headers()).send(route.body)
        expect(res.status).toBe(status)
        expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/)
        expect(res.body.code).toBe(code)
        expectNoOtherProfile(res.text)
      })
    }
  }

  // A key limited to `main` (every scope) against other profiles: reads 404, writes 403, lists filtered.
  const otherProfile: ReadonlyArray<[string, "get" | "put" | "patch" | "post" | "delete", string, number, object?]> = [
    ["reads another profile", "get", "/v1/profiles/cold", 404],
    ["reads a private profile", "get", "/v1/profiles/secret", 404],
    ["replaces another profile", "put", "/v1/profiles/cold", 403, { label: "x", guildId: GUILD_ID }],
    ["creates a profile outside its list", "put", "/v1/profiles/brand-new", 403, { label: "x", guildId: GUILD_ID }],
    ["patches another profile", "patch", "/v1/profiles/cold", 403, { label: "x" }],
    ["deletes another profile", "delete", "/v1/profiles/cold", 403],
    ["refreshes another profile", "post", "/v1/profiles/cold/refresh", 404],
    ["reads another profile through percent-encoding", "get", "/v1/profiles/%63old", 404],
    ["patches another profile through percent-encoding", "patch", "/v1/profiles/%63old", 403, { label: "x" }],
    ["reads another profile in upper case", "get", "/v1/profiles/COLD", 400],
    ["reads another profile with a dot segment", "get", "/v1/profiles/main/..%2Fcold", 404],
    ["reads another profile with a trailing NUL", "get", "/v1/profiles/cold%00", 400],
    ["reads the stats of a private profile", "get", "/v1/profiles/secret/stats", 404],
    ["reads the stats of a private profile with a bypass", "get", "/v1/profiles/secret/stats?refresh=1", 404]
  ]
  for (const [what, method, path, status, body] of otherProfile) {
    it(`a key limited to main ${what} → ${status}, and sees none of its data`, async () => {
      const res = await request(h.app)[method](path).set(bearer("limited")).send(body)
      expect(res.status).toBe(status)
      expectNoOtherProfile(res.text)
    })
  }

  it("a key limited to main sees only main in lists, events, audit (with any filter)", async () => {
    const list = await request(h.app).get("/v1/profiles").set(bearer("limited"))
    expect(list.body.profiles.map((p: { key: string }) => p.key)).toEqual(["main"])
    for (const path of ["/v1/events", "/v1/events?profile=cold", "/v1/audit", "/v1/audit?profile=cold", "/v1/audit?action=key", "/v1/audit?action=profile"]) {
      const res = await request(h.app).get(path).set(bearer("limited"))
      expect(res.status).toBe(200)
      expectNoOtherProfile(res.text)
    }
    const audit = await request(h.app).get("/v1/audit").set(bearer("limited"))
    expect(audit.body.entries.map((e: { action: string; profile: string }) => `${e.action}:${e.profile}`)).toEqual(["profile.update:main"])
    // The events of main are there (the filter is not "nothing at all").
    expect((await request(h.app).get("/v1/events").set(auth)).text).toContain(':"cold"')
  })
})
