import { AnalyticsStore, Engine, type ProfileKey } from "@guildpulse/core"
import { Effect, Layer, ManagedRuntime, Redacted, TestClock, TestContext } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ApiKeyAuth, createServer, type ServerOptions } from "../src/index.js"
import { ADMIN_KEY, auth, BOT_TOKEN, defaultProfiles, makeSource, START_MS, testRetry } from "./fixtures.js"

const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000
/** Three days of one-a-minute samples of `main` before START_MS, online = the minute's index. */
const MINUTES = 3 * 24 * 60

const serve = async (withAnalytics: boolean) => {
  const source = makeSource()
  const engine = Engine.layerMemory({
    scheduler: false,
    profiles: defaultProfiles(),
    tokens: { main: BOT_TOKEN, cold: BOT_TOKEN, demo: BOT_TOKEN, secret: BOT_TOKEN },
    refresher: testRetry
  })
  const layer = (withAnalytics ? Layer.merge(engine, AnalyticsStore.layerMemory()) : engine).pipe(
    Layer.provide(source.layer),
    Layer.provideMerge(TestContext.TestContext)
  )
  const runtime = ManagedRuntime.make(layer)
  await runtime.runPromise(TestClock.setTime(START_MS))
  const server = createServer({
    adminKey: Redacted.make(ADMIN_KEY),
    governance: ApiKeyAuth.governanceMemory({ scrypt: { cost: 2 ** 10 } }),
    runtime: runtime as unknown as ServerOptions["runtime"]
  } as ServerOptions)
  await server.router.ready
  return { app: server.app, runtime }
}

describe("analytics routes", () => {
  let h: Awaited<ReturnType<typeof serve>>
  const keys: Record<string, string> = {}
  const bearer = (name: string) => ({ Authorization: `Bearer ${keys[name]!}` })

  beforeAll(async () => {
    h = await serve(true)
    await h.runtime.runPromise(
      Effect.gen(function*() {
        const store = yield* AnalyticsStore.AnalyticsStore
        const from = START_MS - MINUTES * MINUTE_MS
        for (let i = 0; i < MINUTES; i++) {
          yield* store.record({ profile: "main" as ProfileKey, atMs: from + i * MINUTE_MS, online: i, members: 1000 + Math.floor(i / 60), boosts: 3, state: "fresh" })
        }
        yield* store.record({ profile: "cold" as ProfileKey, atMs: START_MS - HOUR_MS, online: 7, members: 70, state: "fresh" })
      }) as Effect.Effect<void>
    )
    for (const [name, body] of [["limited", { role: "viewer", profiles: ["main"] }], ["all", { role: "viewer" }], ["noscope", { scopes: ["profiles:read"] }]] as const) {
      const res = await request(h.app).post("/v1/keys").set(auth).send({ name, ...body })
      expect(res.status).toBe(201)
      keys[name] = res.body.secret
    }
  })
  afterAll(() => h.runtime.dispose())

  it("a series of at most `points` points ends with the newest sample; aggregates and the heatmap come along", async () => {
    const res = await request(h.app).get("/v1/profiles/main/analytics?range=3d&points=50&tz=Europe/Berlin").set(bearer("all"))
    expect(res.status).toBe(200)
    const points = res.body.series.points as Array<{ atMs: number; online: { max: number } }>
    expect(points.length).toBe(50)
    expect(points[points.length - 1]!.atMs).toBe(START_MS - MINUTE_MS)
    expect(points[points.length - 1]!.online.max).toBe(MINUTES - 1)
    expect(res.body.aggregates.samples).toBe(MINUTES)
    expect(res.body.aggregates.online.peak).toEqual({ value: MINUTES - 1, atMs: START_MS - MINUTE_MS })
    expect(res.body.heatmap.timeZone).toBe("Europe/Berlin")
    expect(res.body.heatmap.average).toHaveLength(7)
    expect(res.body.comparison).toBeUndefined()
  })

  it("compares with other profiles on one axis", async () => {
    const res = await request(h.app).get("/v1/profiles/main/analytics?range=2h&points=10&profiles=cold").set(bearer("all"))
    expect(res.status).toBe(200)
    expect(res.body.comparison.series.map((s: { profile: string }) => s.profile)).toEqual(["main", "cold"])
  })

  it("exports CSV with the chosen delimiter and time zone, streamed (chunked), named for download", async () => {
    const res = await request(h.app)
      .get("/v1/profiles/main/analytics/export?from=2026-06-01T10:00:00Z&to=2026-06-01T10:03:00Z&delimiter=semicolon&tz=Europe/Berlin")
      .set(bearer("all"))
      .buffer(true)
      .parse((r, done) => {
        let text = ""
        r.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")))
        r.on("end", () => done(null, text))
      })
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8")
    expect(res.headers["content-disposition"]).toBe('attachment; filename="guildpulse-main-2026-06-01-2026-06-01.csv"')
    expect(res.headers["transfer-encoding"]).toBe("chunked")
    expect(res.headers["content-length"]).toBeUndefined()
    const lines = (res.body as string).trim().split("\n")
    expect(lines[0]).toBe(
      "time;profile;span_seconds;samples;state;online;online_min;online_max;members;members_min;members_max;boosts;boosts_min;boosts_max;presence_online;presence_idle;presence_dnd;presence_sample_size"
    )
    expect(lines).toHaveLength(4)
    // 10:00 UTC is 12:00 in Berlin (summer time); online is the minute's index since START - 3 days.
    const index = MINUTES - 120
    expect(lines[1]!.split(";").slice(0, 6)).toEqual(["2026-06-01T12:00:00+02:00", "main", "0", "1", "fresh", String(index)])
    expect(lines[3]!.startsWith("2026-06-01T12:02:00+02:00;main;")).toBe(true)
  })

  it("exports JSON lines and a JSON array", async () => {
    const query = "from=2026-06-01T10:00:00Z&to=2026-06-01T10:02:00Z"
    const nd = await request(h.app).get(`/v1/profiles/main/analytics/export?${query}&format=ndjson`).set(bearer("all"))
    expect(nd.status).toBe(200)
    expect(nd.headers["content-type"]).toBe("application/x-ndjson; charset=utf-8")
    expect(nd.text.trim().split("\n").map((l) => JSON.parse(l).time)).toEqual(["2026-06-01T10:00:00Z", "2026-06-01T10:01:00Z"])
    const json = await request(h.app).get(`/v1/profiles/main/analytics/export?${query}&format=json`).set(bearer("all"))
    expect(json.status).toBe(200)
    expect(json.headers["content-type"]).toBe("application/json; charset=utf-8")
    expect(json.body.map((r: { online: number }) => r.online)).toEqual([MINUTES - 120, MINUTES - 119])
  })

  it("a key limited to one profile: other profiles' analytics are 404, its report lists only its profile", async () => {
    const other = await request(h.app).get("/v1/profiles/cold/analytics").set(bearer("limited"))
    expect(other.status).toBe(404)
    expect(other.body.code).toBe("profile_not_found")
    expect((await request(h.app).get("/v1/profiles/cold/analytics/export").set(bearer("limited"))).status).toBe(404)
    const compared = await request(h.app).get("/v1/profiles/main/analytics?profiles=cold").set(bearer("limited"))
    expect(compared.status).toBe(404)
    expect(compared.text).not.toContain("70")
    expect((await request(h.app).get("/v1/profiles/main/analytics").set(bearer("limited"))).status).toBe(200)
    const report = await request(h.app).get("/v1/analytics/report?range=7d").set(bearer("limited"))
    expect(report.status).toBe(200)
    expect(report.body.profiles.map((p: { profile: string }) => p.profile)).toEqual(["main"])
    expect(report.body.totals.profiles).toBe(1)
    expect(report.text).not.toContain("cold")
    const full = await request(h.app).get("/v1/analytics/report?range=7d").set(bearer("all"))
    expect(full.body.profiles.map((p: { profile: string }) => p.profile).sort()).toEqual(["cold", "demo", "main", "secret"])
  })

  it("the widget's showSparkline draws the last 24 hours of online counts as inline SVG; without history the card is unchanged", async () => {
    const res = await request(h.app).get("/v1/profiles/main/widget?showSparkline=1")
    expect(res.status).toBe(200)
    const svg = /<svg class="gp-sparkline"[^>]*>(.*?)<\/svg>/.exec(res.text)
    expect(svg).not.toBeNull()
    expect(svg![1]).toContain("<title id=\"gp-main-spark-title\">Online over the last 24 hours</title>")
    // The newest sample (online = MINUTES - 1) is the last point, at the right edge and the top.
    const points = /points="([^"]+)"/.exec(svg![1]!)![1]!.split(" ")
    expect(points.length).toBe(96)
    expect(points[points.length - 1]).toBe("240,2")
    expect(svg![1]).toContain(`${(MINUTES - 1).toLocaleString("en-US")} at the latest sample`)
    expect(res.text).not.toContain("<script")
    // `cold` has one sample in the last 24 hours: nothing to draw, the card is as without the option.
    const cold = await request(h.app).get("/v1/profiles/cold/widget?showSparkline=1")
    const plain = await request(h.app).get("/v1/profiles/cold/widget")
    expect(cold.status).toBe(200)
    expect(cold.text).toBe(plain.text)
  })

  it("needs the analytics:read scope", async () => {
    const res = await request(h.app).get("/v1/profiles/main/analytics").set(bearer("noscope"))
    expect(res.status).toBe(403)
    expect(res.body.detail).toContain("analytics:read")
  })

  it.each([
    ["points=0", "points"],
    ["points=abc", "points"],
    ["tz=Mars/Olympus", "tz"],
    ["from=yesterday", "from"],
    ["from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z", "from"],
    ["range=3 days", "range"]
  ])("a bad parameter (%s) is a 400 naming the field", async (query, field) => {
    const res = await request(h.app).get(`/v1/profiles/main/analytics?${query}`).set(bearer("all"))
    expect(res.status).toBe(400)
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8")
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field])
  })

  it("a bad export format or delimiter is a 400 naming the field, before anything is streamed", async () => {
    const format = await request(h.app).get("/v1/profiles/main/analytics/export?format=xml").set(bearer("all"))
    expect(format.status).toBe(400)
    expect(format.body.errors.map((e: { field: string }) => e.field)).toEqual(["format"])
    const delimiter = await request(h.app).get("/v1/profiles/main/analytics/export?delimiter=x").set(bearer("all"))
    expect(delimiter.status).toBe(400)
    expect(delimiter.body.errors.map((e: { field: string }) => e.field)).toEqual(["delimiter"])
    const report = await request(h.app).get("/v1/analytics/report?tz=Nowhere").set(bearer("all"))
    expect(report.status).toBe(400)
    expect(report.body.errors.map((e: { field: string }) => e.field)).toEqual(["tz"])
  })
})

describe("analytics routes without an AnalyticsStore", () => {
  it("answer 404 analytics_disabled", async () => {
    const h = await serve(false)
    try {
      for (const path of ["/v1/profiles/main/analytics", "/v1/profiles/main/analytics/export", "/v1/analytics/report"]) {
        const res = await request(h.app).get(path).set(auth)
        expect(res.status).toBe(404)
        expect(res.body.code).toBe("analytics_disabled")
      }
      const widget = await request(h.app).get("/v1/profiles/main/widget?showSparkline=1")
      expect(widget.status).toBe(200)
      expect(widget.text).toBe((await request(h.app).get("/v1/profiles/main/widget")).text)
    } finally {
      await h.runtime.dispose()
    }
  })
})
