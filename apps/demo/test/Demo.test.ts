import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SANDBOX_BOT_TOKEN } from "@guildpulse/connector-discord/sandbox"
import * as Demo from "../src/Demo.js"
import { formToken } from "./forms.js"

let demo: Demo.RunningDemo

beforeAll(async () => {
  demo = await Demo.start({ port: 0, scheduler: false, telemetryFromEnv: false })
})
afterAll(async () => {
  await demo?.close()
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${demo.url}${path}`, { headers })

describe("demo app (HTTP)", () => {
  it("serves every sample profile from the sandbox, merged per field with provenance", async () => {
    const small = await (await get("/v1/profiles/small/stats")).json()
    expect(small.freshness.state).toBe("fresh")
    expect(small.provenance.online.source).toBe("widget")
    expect(small.provenance.members.source).toBe("invite")
    const large = await (await get("/v1/profiles/large/stats")).json()
    expect(large.counts.members).toBeGreaterThan(200_000)
    expect(large.provenance.members.source).toBe("bot")
    expect(large.presence.sampleSize).toBeLessThanOrEqual(100)
    const noWidget = await (await get("/v1/profiles/no-widget/stats")).json()
    expect(noWidget.freshness.state).toBe("fresh")
    expect(noWidget.freshness.reasons).toContain("widget_disabled")
    expect(noWidget.provenance.online.source).toBe("bot")
  })

  it("renders the start page and theme galleries without any secret in the markup", async () => {
    const index = await (await get("/")).text()
    expect(index).toContain("<guildpulse-stats")
    expect(index).toContain('src="/embed.js"')
    for (const key of ["small", "large", "no-widget"]) {
      const gallery = await get(`/demo/themes/${key}`)
      expect(gallery.status).toBe(200)
      const html = await gallery.text()
      for (const theme of ["discord", "dark", "light", "minimal", "high-contrast"]) expect(html).toContain(`data-theme-sample="${theme}"`)
      expect(html).not.toContain(SANDBOX_BOT_TOKEN)
      expect(html).not.toContain(demo.adminKey)
    }
    expect(index).not.toContain(SANDBOX_BOT_TOKEN)
    expect(index).not.toContain(demo.adminKey)
    expect((await get("/demo/themes/nope")).status).toBe(404)
  })

  it("protects admin routes with the bootstrap key", async () => {
    expect((await get("/v1/profiles")).status).toBe(401)
    const listed = await get("/v1/profiles", { authorization: `Bearer ${demo.adminKey}` })
    expect(listed.status).toBe(200)
    const body = await listed.text()
    expect(body).toContain('"small"')
    expect(body).not.toContain(SANDBOX_BOT_TOKEN)
  })

  it("sandbox controls validate their input and change what the sandbox does", async () => {
    // As the page's form does: same origin, with the CSRF token of the page (cookie + hidden field).
    const { cookie, token } = await formToken(demo)
    const post = (body: string) =>
      fetch(`${demo.url}/demo/scenario`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: demo.url, "sec-fetch-site": "same-origin", cookie },
        body: `${body}&csrf=${token}`,
        redirect: "manual"
      })
    const bad = await post("mode=explode&profile=*")
    expect(bad.status).toBe(400)
    expect((await bad.json()).errors[0].field).toBe("mode")
    const ok = await post("mode=outage&profile=large")
    expect(ok.status).toBe(303)
    expect(demo.sandbox.scenarios().map((s) => s.mode)).toEqual(["outage"])
    await post("mode=healthy&profile=*")
    expect(demo.sandbox.scenarios()).toEqual([])
  })
})

describe("demo app (operations)", () => {
  it("exposes Prometheus metrics, health and readiness behind the right checks", async () => {
    await get("/v1/profiles/small/stats")
    expect((await get("/metrics")).status).toBe(401)
    const metrics = await get("/metrics", { authorization: `Bearer ${demo.adminKey}` })
    expect(metrics.status).toBe(200)
    const text = await metrics.text()
    expect(text).toMatch(/# TYPE guildpulse_stats_served_total counter/)
    expect(text).toMatch(/guildpulse_upstream_requests_total\{[^}]*source="widget"/)
    expect(text).toMatch(/guildpulse_guild_online\{[^}]*profile="small"[^}]*\} \d+/)
    expect(text).not.toContain(SANDBOX_BOT_TOKEN)
    const health = await get("/v1/health", { authorization: `Bearer ${demo.adminKey}` })
    expect(health.status).toBe(200)
    const report = await health.json()
    expect(JSON.stringify(report)).toContain("small")
    expect(JSON.stringify(report)).not.toContain(SANDBOX_BOT_TOKEN)
    const ready = await get("/readyz")
    expect(ready.status).toBe(200)
    expect((await ready.json()).checks.snapshotStore.ok).toBe(true)
    const openapi = await (await get("/openapi.json")).json()
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(["/metrics", "/v1/health", "/v1/alerts/rules", "/v1/profiles/{profile}/stats"]))
  })
})

describe("demo app (the serve --sandbox composition)", () => {
  it("prints the composition's startup summary: listening URL, memory store, the sandbox as Discord, the three profiles", () => {
    expect(demo.summary.split("\n").slice(0, 4)).toEqual([
      `GuildPulse listening on ${demo.url}`,
      "  role       all",
      "  store      memory (nothing survives a restart)",
      `  discord    ${demo.sandbox.apiUrl} (sandbox in this process; controls at ${demo.sandbox.url}/__sandbox/stats)`
    ])
  })

  it("serves the operator console's sign-in page", async () => {
    expect((await get("/console/login")).status).toBe(200)
  })

  it("has the composition's API keys: a key created with the admin key reads the profiles", async () => {
    const created = await fetch(`${demo.url}/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${demo.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "reader", scopes: ["profiles:read"] })
    })
    expect(created.status).toBe(201)
    const { secret } = (await created.json()) as { secret: string }
    const listed = await get("/v1/profiles", { authorization: `Bearer ${secret}` })
    expect(listed.status).toBe(200)
  })
})

