import { Engine } from "@guildpulse/core"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Option, Redacted } from "effect"
import express from "express"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createServer, guildPulse, loadConfig, Routes, sendJson } from "../src/index.js"
import { ADMIN_KEY, auth, BOT_TOKEN, makeHarness, type Harness } from "./fixtures.js"

describe("operations", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness({
      cors: { origins: ["https://site.example"], adminOrigins: ["https://admin.example"] },
      extraRoutes: [
        {
          method: "get",
          path: "/metrics",
          access: Routes.requireScope("metrics:read"),
          doc: { operationId: "getMetrics", summary: "Prometheus metrics", tags: ["operations"], responses: { 200: { description: "Metrics", contentType: "text/plain" } } },
          handle: (context) => sendJson(context.res, 200, { extra: true, subject: context.principal?.subject })
        },
        {
          method: "get",
          path: "/v1/boom",
          access: Routes.publicAccess,
          doc: { operationId: "boom", summary: "Throws", responses: { 200: { description: "never" } } },
          handle: () => {
            throw new Error(`kaboom with ${ADMIN_KEY}`)
          }
        },
        {
          method: "get",
          path: "/v1/boom-async",
          access: Routes.publicAccess,
          doc: { operationId: "boomAsync", summary: "Rejects", responses: { 200: { description: "never" } } },
          handle: async () => {
            await Promise.resolve()
            throw new Error(`async kaboom with ${BOT_TOKEN}`)
          }
        }
      ]
    })
  })
  afterAll(() => h.close())

  it("/healthz answers 200 {status: ok}; /readyz 200 once the engine runs", async () => {
    const health = await request(h.app).get("/healthz")
    expect(health.status).toBe(200)
    expect(health.body).toEqual({ status: "ok" })
    const ready = await request(h.app).get("/readyz")
    expect(ready.status).toBe(200)
    expect(ready.body.status).toBe("ready")
    expect(ready.body.scheduler.running).toBe(true)
  })

  it("extra routes go through the same pipeline (auth, scopes) and are documented", async () => {
    expect((await request(h.app).get("/metrics")).status).toBe(401)
    const metrics = await request(h.app).get("/metrics").set(auth)
    expect(metrics.status).toBe(200)
    expect(metrics.body).toEqual({ extra: true, subject: "bootstrap-admin" })
    const doc = await request(h.app).get("/openapi.json")
    expect(doc.body.paths["/metrics"].get["x-required-scope"]).toBe("metrics:read")
  })

  it("a defect is a 500 problem that discloses nothing (sync throw and async rejection)", async () => {
    for (const path of ["/v1/boom", "/v1/boom-async"]) {
      const res = await request(h.app).get(path)
      expect(res.status).toBe(500)
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/)
      expect(res.body.code).toBe("internal_error")
      expect(res.text).not.toContain("kaboom")
      expect(res.text).not.toContain(ADMIN_KEY)
      expect(res.text).not.toContain(BOT_TOKEN)
      expect(res.text).not.toMatch(/at .*\.ts:\d+/)
    }
  })

  describe("CORS", () => {
    it("allows listed origins on public routes, with Vary: Origin", async () => {
      const allowed = await request(h.app).get("/v1/profiles/main/stats").set("Origin", "https://site.example")
      expect(allowed.headers["access-control-allow-origin"]).toBe("https://site.example")
      expect(allowed.headers["vary"]).toContain("Origin")
      expect(allowed.headers["access-control-expose-headers"]).toContain("ETag")
      const other = await request(h.app).get("/v1/profiles/main/stats").set("Origin", "https://evil.example")
      expect(other.status).toBe(200)
      expect(other.headers["access-control-allow-origin"]).toBeUndefined()
      expect(other.headers["vary"]).toContain("Origin")
    })

    it("answers preflights for public routes", async () => {
      const res = await request(h.app)
        .options("/v1/profiles/main/stats")
        .set("Origin", "https://site.example")
        .set("Access-Control-Request-Method", "GET")
        .set("Access-Control-Request-Headers", "if-none-match")
      expect(res.status).toBe(204)
      expect(res.headers["access-control-allow-origin"]).toBe("https://site.example")
      expect(res.headers["access-control-allow-methods"]).toBe("GET, HEAD, OPTIONS")
      expect(res.headers["access-control-allow-headers"]).toContain("If-None-Match")
      const refused = await request(h.app)
        .options("/v1/profiles/main/stats")
        .set("Origin", "https://evil.example")
        .set("Access-Control-Request-Method", "GET")
      expect(refused.headers["access-control-allow-origin"]).toBeUndefined()
    })

    it("keeps admin routes closed to cross-origin callers unless listed in adminOrigins", async () => {
      const site = await request(h.app).options("/v1/profiles").set("Origin", "https://site.example").set("Access-Control-Request-Method", "GET")
      expect(site.headers["access-control-allow-origin"]).toBeUndefined()
      const siteGet = await request(h.app).get("/v1/profiles").set(auth).set("Origin", "https://site.example")
      expect(siteGet.headers["access-control-allow-origin"]).toBeUndefined()
      const admin = await request(h.app).options("/v1/profiles/main").set("Origin", "https://admin.example").set("Access-Control-Request-Method", "PUT")
      expect(admin.headers["access-control-allow-origin"]).toBe("https://admin.example")
      expect(admin.headers["access-control-allow-headers"]).toContain("Authorization")
    })

    it("defaults to any origin for public routes and none for admin routes", async () => {
      const app = express().use(guildPulse({ runtime: h.runtime, adminKey: Redacted.make(ADMIN_KEY) }))
      const pub = await request(app).get("/v1/profiles/main/stats").set("Origin", "https://anyone.example")
      expect(pub.headers["access-control-allow-origin"]).toBe("*")
      const adm = await request(app).get("/v1/profiles").set(auth).set("Origin", "https://anyone.example")
      expect(adm.status).toBe(200)
      expect(adm.headers["access-control-allow-origin"]).toBeUndefined()
    })
  })

  it("never discloses the admin key or a bot token in any response", async () => {
    const responses = await Promise.all([
      request(h.app).get("/v1/profiles").set(auth),
      request(h.app).get("/v1/profiles/main").set(auth),
      request(h.app).get("/v1/profiles/main/stats"),
      request(h.app).get("/v1/profiles/main/stats?fresh=1").set(auth),
      request(h.app).get("/v1/profiles/main/widget?standalone=1"),
      request(h.app).get("/v1/profiles/main/badge.svg"),
      request(h.app).get("/v1/events?limit=1000").set(auth),
      request(h.app).get("/v1/profiles").set("Authorization", `Bearer ${ADMIN_KEY}x`),
      request(h.app).get("/v1/profiles").set("Authorization", `Bearer ${BOT_TOKEN}`),
      request(h.app).put("/v1/profiles/main").set(auth).set("Content-Type", "application/json").send(`{"label": "${BOT_TOKEN}`),
      request(h.app).get("/openapi.json"),
      request(h.app).get("/readyz")
    ])
    // The bot token did reach the source (so the test is meaningful)…
    expect(h.source.tokensSeen).toContain(BOT_TOKEN)
    for (const res of responses) {
      const all = `${JSON.stringify(res.headers)}\n${res.text ?? ""}\n${res.body instanceof Buffer ? res.body.toString() : ""}`
      expect(all).not.toContain(ADMIN_KEY)
      expect(all).not.toContain(BOT_TOKEN)
    }
  })

  it("/openapi.json is OpenAPI 3.1, lists every route, and its components come from the schemas", async () => {
    const res = await request(h.app).get("/openapi.json")
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8")
    const doc = JSON.parse(res.text)
    expect(doc.openapi).toBe("3.1.0")
    for (const route of h.router.routes) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")
      expect(doc.paths[path]?.[route.method], `${route.method} ${path}`).toBeDefined()
    }
    const expected = [
      "get /v1/profiles/{profile}/stats", "get /v1/profiles/{profile}/widget", "get /v1/profiles/{profile}/badge.svg",
      "get /embed.js", "get /widget.css", "get /healthz", "get /readyz", "get /openapi.json",
      "get /v1/profiles", "get /v1/profiles/{profile}", "put /v1/profiles/{profile}", "patch /v1/profiles/{profile}",
      "delete /v1/profiles/{profile}", "post /v1/profiles/{profile}/refresh", "get /v1/events"
    ]
    for (const entry of expected) {
      const [method, path] = entry.split(" ") as [string, string]
      expect(doc.paths[path]?.[method], entry).toBeDefined()
    }
    for (const name of ["StatsView", "Profile", "ProfileInput", "ProfilePatch", "Problem", "EventPage", "Event"]) {
      expect(doc.components.schemas[name], name).toBeDefined()
    }
    // Generated, not hand-written: the StatsView component has the freshness states of the engine's schema.
    const freshness = doc.components.schemas.StatsView.properties.freshness
    expect(JSON.stringify(freshness)).toContain("degraded")
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }))
    // Every $ref resolves.
    const refs = [...res.text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!)
    expect(refs.length).toBeGreaterThan(10)
    for (const ref of refs) {
      const target = ref.replace(/^#\//, "").split("/").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc)
      expect(target, ref).toBeDefined()
    }
    // Admin operations require the bearer scheme and name their scope; errors are problem+json.
    const put = doc.paths["/v1/profiles/{profile}"].put
    expect(put.security).toEqual([{ bearer: [] }])
    expect(put["x-required-scope"]).toBe("profiles:write")
    expect(put.responses["401"].content["application/problem+json"].schema.$ref).toBe("#/components/schemas/Problem")
    expect(doc.paths["/v1/profiles/{profile}/stats"].get.security).toEqual([])
    expect(doc.paths["/v1/profiles/{profile}/stats"].get.responses["429"]).toBeDefined()
    const events = doc.paths["/v1/events"].get.parameters.map((p: { name: string }) => p.name)
    expect(events).toEqual(["profile", "type", "level", "since", "until", "limit", "cursor"])
    // Widget query parameters are documented from the WidgetOptions schema they decode into.
    const theme = doc.paths["/v1/profiles/{profile}/widget"].get.parameters.find((p: { name: string }) => p.name === "theme")
    expect(theme.schema.enum).toEqual(expect.arrayContaining(["dark", "light"]))
    const limit = doc.paths["/v1/events"].get.parameters.find((p: { name: string }) => p.name === "limit")
    expect(limit.schema).toEqual(expect.objectContaining({ type: "integer", minimum: 1, maximum: 1000 }))
  })
})

describe("startup and shutdown", () => {
  it("503 with Retry-After (and /readyz 503) while the engine is still starting; /healthz is 200", async () => {
    const layer = Layer.effectDiscard(Effect.never) as unknown as Layer.Layer<Engine.Services>
    const router = guildPulse({ layer, startupWaitMs: 50 })
    const app = express().use(router)
    const ready = await request(app).get("/readyz")
    expect(ready.status).toBe(503)
    expect(ready.headers["retry-after"]).toBe("5")
    expect(ready.headers["content-type"]).toMatch(/^application\/problem\+json/)
    const stats = await request(app).get("/v1/profiles/main/stats")
    expect(stats.status).toBe(503)
    expect(stats.headers["retry-after"]).toBeDefined()
    expect((await request(app).get("/healthz")).status).toBe(200)
    expect((await request(app).get("/embed.js")).status).toBe(200)
  })

  it("listen() serves on a port; close() is graceful and disposes the runtime", async () => {
    let released = false
    const h = await makeHarness()
    const layer = Layer.merge(
      Layer.succeedContext(await h.runtime.runtime().then((rt) => rt.context)),
      Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sync(() => void (released = true))))
    )
    const server = createServer({ layer })
    const listening = await server.listen(0, "127.0.0.1")
    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${listening.url}/v1/profiles/main/stats`)
    expect(res.status).toBe(200)
    await listening.close()
    expect(listening.server.listening).toBe(false)
    expect(released).toBe(true)
    await h.close()
  })

  it("before: your own handlers are served ahead of the API, with the server's problem answers", async () => {
    const h = await makeHarness()
    const pages = express.Router()
    pages.get("/", (_req, res) => void res.type("html").send("<h1>my page</h1>"))
    pages.get("/broken", () => {
      throw new Error("/secret/path/file.ts:12")
    })
    const server = createServer({ layer: Layer.succeedContext(await h.runtime.runtime().then((rt) => rt.context)), before: [pages], disposeRuntimeOnClose: false })
    const listening = await server.listen(0, "127.0.0.1")
    try {
      expect(await (await fetch(`${listening.url}/`)).text()).toBe("<h1>my page</h1>")
      expect((await fetch(`${listening.url}/v1/profiles/main/stats`)).status).toBe(200)
      const broken = await fetch(`${listening.url}/broken`)
      expect({ status: broken.status, type: broken.headers.get("content-type"), leaked: (await broken.text()).includes("/secret/path") }).toEqual({
        status: 500,
        type: "application/problem+json; charset=utf-8",
        leaked: false
      })
    } finally {
      await listening.close()
      await h.close()
    }
  })

  it("loadConfig reads PORT, HOST and GUILDPULSE_ADMIN_KEY (redacted, at least 16 characters)", async () => {
    const read = (env: Record<string, string>) =>
      Effect.runPromise(Effect.either(Effect.withConfigProvider(loadConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))))
    const defaults = await read({})
    expect(defaults._tag === "Right" && defaults.right.port).toBe(8787)
    expect(defaults._tag === "Right" && defaults.right.host).toBe("127.0.0.1")
    expect(defaults._tag === "Right" && Option.isNone(defaults.right.adminKey)).toBe(true)
    const set = await read({ PORT: "9000", HOST: "0.0.0.0", GUILDPULSE_ADMIN_KEY: ADMIN_KEY })
    expect(set._tag).toBe("Right")
    if (set._tag === "Right") {
      expect(set.right.port).toBe(9000)
      expect(String(set.right.adminKey)).not.toContain(ADMIN_KEY)
      expect(Option.map(set.right.adminKey, Redacted.value)).toEqual(Option.some(ADMIN_KEY))
    }
    expect((await read({ GUILDPULSE_ADMIN_KEY: "short" }))._tag).toBe("Left")
    expect((await read({ PORT: "http" }))._tag).toBe("Left")
  })
})

void ManagedRuntime
