import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeHarness, type Harness } from "./fixtures.js"

describe("widget, badge and assets", () => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness({ publicRateLimit: false })
  })
  afterAll(() => h.close())

  it("renders an escaped HTML fragment with nosniff, a CSP, ETag and the view's Cache-Control", async () => {
    // One Host for both requests (supertest listens on a new port each time, and the card names its endpoint).
    const res = await request(h.app).get("/v1/profiles/main/widget").set("Host", "widgets.example")
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8")
    expect(res.headers["x-content-type-options"]).toBe("nosniff")
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'")
    expect(res.headers["etag"]).toMatch(/^"/)
    expect(res.headers["cache-control"]).toMatch(/^public, max-age=\d+/)
    expect(res.text).toContain("<guildpulse-stats")
    expect(res.text).not.toContain("<!doctype")
    // The guild name comes from Discord and contains markup: it must be escaped.
    expect(res.text).not.toContain("Test <Guild>")
    expect(res.text).toContain("Test &lt;Guild&gt;")
    const again = await request(h.app).get("/v1/profiles/main/widget").set("Host", "widgets.example").set("If-None-Match", res.headers["etag"] as string)
    // Same instant on the TestClock: the same card, so the tag matches.
    expect(again.status).toBe(304)
  })

  it("applies query overrides over the profile's display defaults", async () => {
    const res = await request(h.app).get("/v1/profiles/main/widget?theme=dark&locale=fr")
    expect(res.status).toBe(200)
    expect(res.text).toMatch(/data-theme="dark"/)
  })

  it("accepts the legacy plugin's attribute names: mapped, clamped, links and tokens ignored, bad values a 400 naming them", async () => {
    const res = await request(h.app).get(
      "/v1/profiles/main/widget?theme=radix&show_total=false&stat_bg_color=%23202225&border_radius=500&label_online=Connect%C3%A9s&invite_url=https%3A%2F%2Fevil.example&bot_token=MTIz.secret&server_id=1"
    )
    expect(res.status).toBe(200)
    expect(res.text).toMatch(/data-theme="light"/)
    expect(res.text).toContain("Connectés")
    expect(res.text).toContain("--gp-radius:64px")
    expect(res.text).toContain("#202225")
    expect(res.text).not.toContain("evil.example")
    expect(res.text).not.toContain("secret")
    const bad = await request(h.app).get("/v1/profiles/main/widget?stat_bg_color=red;x&layout=diagonal")
    expect(bad.status).toBe(400)
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["layout", "stat_bg_color"])
  })

  it("400 names the offending query parameter", async () => {
    const unknown = await request(h.app).get("/v1/profiles/main/widget?colour=red")
    expect(unknown.status).toBe(400)
    expect(unknown.headers["content-type"]).toMatch(/^application\/problem\+json/)
    expect(unknown.body.errors.map((e: { field: string }) => e.field)).toEqual(["colour"])
    const bad = await request(h.app).get("/v1/profiles/main/widget?theme=neon")
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].field).toBe("theme")
    const flag = await request(h.app).get("/v1/profiles/main/widget?standalone=perhaps")
    expect(flag.status).toBe(400)
    expect(flag.body.errors[0].field).toBe("standalone")
  })

  it("standalone=1 returns a full page with inline CSS, the embed script and a strict CSP", async () => {
    const res = await request(h.app).get("/v1/profiles/main/widget?standalone=1")
    expect(res.status).toBe(200)
    expect(res.text.startsWith("<!doctype html>")).toBe(true)
    expect(res.text).toContain("<style>")
    expect(res.text).toMatch(/<script src="\/embed\.js\?v=[A-Za-z0-9_-]+" defer><\/script>/)
    // The profile label is escaped in the title.
    expect(res.text).toContain("<title>Main &lt;b&gt;server&lt;/b&gt;</title>")
    const csp = res.headers["content-security-policy"] as string
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain("unsafe-eval")
    expect(res.headers["x-content-type-options"]).toBe("nosniff")
  })

  it("hides non-public profiles and unknown ones (404), validates the key (400)", async () => {
    expect((await request(h.app).get("/v1/profiles/secret/widget")).status).toBe(404)
    expect((await request(h.app).get("/v1/profiles/nobody/badge.svg")).status).toBe(404)
    const bad = await request(h.app).get("/v1/profiles/-bad/widget")
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].field).toBe("profile")
  })

  it("serves an SVG badge with ETag and Cache-Control; 400 names bad badge parameters", async () => {
    const res = await request(h.app).get("/v1/profiles/main/badge.svg")
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("image/svg+xml; charset=utf-8")
    expect(res.headers["etag"]).toMatch(/^"/)
    expect(res.headers["cache-control"]).toMatch(/^public, max-age=\d+/)
    expect(res.body.toString()).toContain("<svg")
    const bad = await request(h.app).get("/v1/profiles/main/badge.svg?style=round")
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].field).toBe("style")
  })

  it("serves embed.js and widget.css with long caching and ETag revalidation", async () => {
    const js = await request(h.app).get("/embed.js")
    expect(js.status).toBe(200)
    expect(js.headers["content-type"]).toBe("application/javascript; charset=utf-8")
    expect(js.headers["cache-control"]).toBe("public, max-age=86400, stale-while-revalidate=604800")
    const etag = js.headers["etag"] as string
    expect((await request(h.app).get("/embed.js").set("If-None-Match", etag)).status).toBe(304)
    const version = etag.slice(1, 13)
    const pinned = await request(h.app).get(`/embed.js?v=${version}`)
    expect(pinned.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
    const css = await request(h.app).get("/widget.css")
    expect(css.status).toBe(200)
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8")
    expect(css.text).toContain("guildpulse-stats")
  })
})
