/**
 * Bad input found by the bad-input sweep (scripts/bad-input-sweep.ts), one case per finding: bodies nested
 * thousands deep, foreign credentials on public routes, a forged Host in cacheable answers, stalled clients.
 * Each answer is a clear 4xx (problem+json naming the field or limit), never a 5xx or a held connection.
 */
import { connect } from "node:net"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import express from "express"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createServer, guildPulse, loadConfig, ObservabilityRoutes, Server, type Listening } from "../src/index.js"
import { jsonTextExceeds, MAX_JSON_DEPTH, MAX_JSON_MEMBERS, valueExceeds } from "../src/internal/http.js"
import { ADMIN_KEY, auth, GUILD_ID, makeHarness, type Harness } from "./fixtures.js"

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`
const basic = `Basic ${Buffer.from("visitor:site-password").toString("base64")}`

/** Alert routes whose handlers record what reached them (the depth check must answer first). */
const reached: Array<unknown> = []
const alertHandlers = {
  metrics: () => Effect.succeed({ status: 200, headers: {}, body: "" }),
  health: () => Effect.succeed({ status: 200, headers: {}, body: "{}" }),
  getAlertRules: Effect.succeed({ status: 200, headers: {}, body: "{}" }),
  putAlertRules: (body: unknown) => Effect.sync(() => (reached.push(body), { status: 200, headers: {}, body: "{}" })),
  testAlert: () => Effect.succeed({ status: 200, headers: {}, body: "{}" })
} as unknown as ObservabilityRoutes.ObservabilityHandlers

describe("bad input: JSON bodies nested thousands deep", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness({ extraRoutes: ObservabilityRoutes.routes(alertHandlers) })
  })
  afterAll(() => h.close())

  it("PUT /v1/profiles/{p} with arrays nested 3,000 deep → 400 naming body and the limit", async () => {
    const res = await request(h.app).put("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send(nested(3000))
    expect(res.status).toBe(400)
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/)
    expect(res.body.errors).toEqual([{ field: "body", message: `must not nest objects and arrays deeper than ${MAX_JSON_DEPTH} levels` }])
  })

  it("PATCH /v1/profiles/{p} with objects nested 3,000 deep → 400 naming body", async () => {
    const res = await request(h.app).patch("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send(deepObject(3000))
    expect(res.status).toBe(400)
    expect(res.body.errors[0].field).toBe("body")
  })

  it("PUT /v1/alerts/rules nested 3,000 deep → 400 before the rules are decoded", async () => {
    const res = await request(h.app).put("/v1/alerts/rules").set(auth).set("Content-Type", "application/json").send(deepObject(3000))
    expect(res.status).toBe(400)
    expect(res.body.errors[0].field).toBe("body")
    expect(reached).toEqual([])
  })

  it("PUT /v1/profiles/{p} with an array of 20,000 numbers → 400 naming body and the member limit", async () => {
    const res = await request(h.app).put("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send(`[${"1,".repeat(20_000)}1]`)
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual([{ field: "body", message: `must not have more than ${MAX_JSON_MEMBERS} members in one object or array` }])
  })

  it("PATCH /v1/profiles/{p} with an object of 4,000 keys → 400 naming body", async () => {
    const body = `{${Array.from({ length: 4000 }, (_, i) => `"k${i}":${i}`).join(",")}}`
    const res = await request(h.app).patch("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send(body)
    expect(res.body.errors[0].message).toBe(`must not have more than ${MAX_JSON_MEMBERS} members in one object or array`)
  })

  it("an object with exactly the member limit is not refused by the bound (core names the unknown fields)", async () => {
    const body = `{${Array.from({ length: MAX_JSON_MEMBERS }, (_, i) => `"k${i}":${i}`).join(",")}}`
    const res = await request(h.app).patch("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send(body)
    expect(res.body.errors[0].field).toBe("k0")
  })

  it("a profile at ordinary depth still passes", async () => {
    const res = await request(h.app).put("/v1/profiles/fine").set(auth).send({ label: "Fine", guildId: GUILD_ID, display: { labels: { online: "on" } } })
    expect(res.status).toBe(201)
  })

  it("a deep body already parsed by the host's express.json() → 400 as well", async () => {
    const app = express()
    app.use(express.json())
    app.use(guildPulse({ runtime: h.runtime, adminKey: Redacted.make(ADMIN_KEY) }))
    const res = await request(app).put("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send(nested(200))
    expect(res.status).toBe(400)
    expect(res.body.errors[0].field).toBe("body")
  })

  it("the scan ignores brackets and commas inside strings and escaped quotes", () => {
    expect(jsonTextExceeds(`{"a":"${"[".repeat(40)}\\"${",".repeat(2000)}","b":[1]}`)).toBeUndefined()
  })

  it("the scan stops at the first level past the depth limit", () => {
    expect(jsonTextExceeds(nested(MAX_JSON_DEPTH + 1))).toBe("depth")
  })

  it("a parsed value 100,000 deep is refused without recursion", () => {
    let value: unknown = 1
    for (let i = 0; i < 100_000; i++) value = [value]
    expect(valueExceeds(value)).toBe("depth")
  })
})

describe("bad input: credentials of other schemes on public routes", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness()
  })
  afterAll(() => h.close())

  it("stats answer 200 to a request carrying HTTP Basic credentials", async () => {
    expect((await request(h.app).get("/v1/profiles/main/stats").set("Authorization", basic)).status).toBe(200)
  })

  it("the widget answers 200 to a request carrying HTTP Basic credentials", async () => {
    expect((await request(h.app).get("/v1/profiles/main/widget").set("Authorization", basic)).status).toBe(200)
  })

  it("the badge answers 200 to a request carrying HTTP Basic credentials", async () => {
    expect((await request(h.app).get("/v1/profiles/main/badge.svg").set("Authorization", basic)).status).toBe(200)
  })

  it("a Digest header is ignored on public routes too", async () => {
    expect((await request(h.app).get("/v1/profiles/main/stats").set("Authorization", 'Digest username="x"')).status).toBe(200)
  })

  it("Basic credentials grant nothing: a non-public profile stays 404", async () => {
    expect((await request(h.app).get("/v1/profiles/secret/stats").set("Authorization", basic)).status).toBe(404)
  })

  it("a wrong GuildPulse bearer key on a public route is still 401", async () => {
    expect((await request(h.app).get("/v1/profiles/main/stats").set("Authorization", "Bearer not-a-key")).status).toBe(401)
  })

  it("admin routes still answer 401 to Basic credentials, with WWW-Authenticate: Bearer", async () => {
    const res = await request(h.app).get("/v1/profiles").set("Authorization", basic)
    expect(res.status).toBe(401)
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer /)
  })
})

describe("bad input: a forged Host header in cacheable widget fragments", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness()
  })
  afterAll(() => h.close())

  it("without publicUrl the data-endpoint is a relative path, not the Host", async () => {
    const res = await request(h.app).get("/v1/profiles/main/widget").set("Host", "evil.example")
    expect(res.text).toContain('data-endpoint="/v1/profiles/main/stats"')
  })

  it("without publicUrl the forged Host appears nowhere in the fragment", async () => {
    const res = await request(h.app).get("/v1/profiles/main/widget").set("Host", "evil.example")
    expect(res.text).not.toContain("evil.example")
  })

  it("with publicUrl the data-endpoint is built from it", async () => {
    const app = express()
    app.use("/discord", guildPulse({ runtime: h.runtime, publicUrl: "https://widgets.example.com/discord/" }))
    const res = await request(app).get("/discord/v1/profiles/main/widget").set("Host", "evil.example")
    expect(res.text).toContain('data-endpoint="https://widgets.example.com/discord/v1/profiles/main/stats"')
  })

  it("a publicUrl that is not an absolute http(s) URL is refused when the router is built", () => {
    expect(() => guildPulse({ runtime: h.runtime, publicUrl: "javascript:alert(1)" })).toThrow(/publicUrl/)
  })

  it("GUILDPULSE_PUBLIC_URL is read by loadConfig", async () => {
    const cfg = await Effect.runPromise(
      Effect.withConfigProvider(loadConfig, ConfigProvider.fromMap(new Map([["GUILDPULSE_PUBLIC_URL", "https://example.com/gp"]])))
    )
    expect(cfg.publicUrl).toEqual(Option.some("https://example.com/gp"))
  })

  it("a GUILDPULSE_PUBLIC_URL with credentials is a configuration error", async () => {
    const cfg = await Effect.runPromise(
      Effect.either(Effect.withConfigProvider(loadConfig, ConfigProvider.fromMap(new Map([["GUILDPULSE_PUBLIC_URL", "https://u:p@example.com/"]]))))
    )
    expect(cfg._tag).toBe("Left")
  })
})

/** Opens a raw connection, writes `text`, and resolves with everything the server sent until it closed. */
const stall = (listening: Listening, text: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(listening.port, "127.0.0.1")
    let received = ""
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => (received += chunk))
    socket.on("error", reject)
    socket.on("close", () => resolve(received))
    socket.write(text)
  })

describe("bad input: stalled clients", () => {
  let h: Harness
  let listening: Listening
  beforeAll(async () => {
    h = await makeHarness()
    listening = await createServer({
      runtime: h.runtime,
      adminKey: Redacted.make(ADMIN_KEY),
      disposeRuntimeOnClose: false,
      timeouts: { headersMs: 300, requestMs: 600, checkIntervalMs: 50 }
    }).listen(0, "127.0.0.1")
  })
  afterAll(async () => {
    await listening.close()
    await h.close()
  })

  it("a client that never finishes its headers gets 408 and the connection is closed", async () => {
    const answer = await stall(listening, "GET /v1/profiles/main/stats HTTP/1.1\r\nHost: x\r\n")
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it("a client that never finishes its body gets 408 and the connection is closed", async () => {
    const answer = await stall(
      listening,
      `PUT /v1/profiles/main HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"label":`
    )
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it("the defaults are 10 s for headers, 30 s for the request and 5 s keep-alive", () => {
    const server = Server.httpServer(() => undefined)
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout]).toEqual([10_000, 30_000, 5_000])
  })

  it("a server configured with headers longer than the whole request is refused", () => {
    expect(() => Server.resolveTimeouts({ headersMs: 5_000, requestMs: 1_000 })).toThrow(/headersMs/)
  })
})
