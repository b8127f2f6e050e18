import { countsAt, defaultFixtures, LARGE_GUILD_ID } from "@guildpulse/connector-discord/sandbox"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startServe, tempDir } from "./harness.js"

const ADMIN_KEY = "gp_admin_analytics-tests-0123456789"
const DAY_MS = 86_400_000
const STEP_MS = 5 * 60_000
const large = defaultFixtures.guilds.find((g) => g.id === LARGE_GUILD_ID)!

describe("analytics of a running guildpulse serve --sandbox", () => {
  let serve: Awaited<ReturnType<typeof startServe>>
  const get = (path: string) => fetch(`${serve.url}${path}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } })

  beforeAll(async () => {
    serve = await startServe(["--sandbox"], { GUILDPULSE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: "none" }, tempDir())
  })

  afterAll(async () => {
    serve?.signal("SIGTERM")
    await serve?.exited
  })

  it("starts with 30 days of history from the sandbox's curve, labelled demo", async () => {
    const shown = await get("/v1/profiles/large/analytics?range=30d&points=500")
    expect(shown.status).toBe(200)
    const body = (await shown.json()) as {
      toMs: number
      series: { points: Array<{ atMs: number }> }
      aggregates: { firstAtMs: number }
    }
    expect(body.series.points).toHaveLength(500)
    // Samples every 5 minutes from the start of the 30 days on: every slot of the series has some.
    expect(body.aggregates.firstAtMs).toBeGreaterThanOrEqual(body.toMs - 30 * DAY_MS)
    expect(body.aggregates.firstAtMs).toBeLessThan(body.toMs - 30 * DAY_MS + STEP_MS)
    // Every filled sample says it is not live data, and its numbers are the sandbox's at that instant.
    const exported = await get("/v1/profiles/large/analytics/export?range=31d&format=ndjson")
    expect(exported.status).toBe(200)
    const rows = (await exported.text()).trim().split("\n").map((l) => JSON.parse(l) as { time: string; state: string; online: number; members: number })
    const demo = rows.filter((r) => r.state === "demo")
    expect(demo).toHaveLength((30 * DAY_MS) / STEP_MS)
    const first = demo[0]!
    const counts = countsAt(large, Date.parse(first.time))
    expect([first.online, first.members]).toEqual([counts.presenceCount, counts.memberCount])
    expect(rows.filter((r) => r.state !== "demo").every((r) => Date.parse(r.time) >= Date.parse(demo[demo.length - 1]!.time))).toBe(true)
  })
})
