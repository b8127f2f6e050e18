import { countsAt, defaultFixtures, LARGE_GUILD_ID } from "@guildpulse/connector-discord/sandbox"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { run, startServe, tempDir } from "./harness.js"

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

  const cli = (args: ReadonlyArray<string>, key: string = ADMIN_KEY) => run(args, { env: { GUILDPULSE_URL: serve.url, GUILDPULSE_API_KEY: key } })

  it("analytics show: aggregates and a series for people, JSON for scripts", async () => {
    const shown = await cli(["analytics", "show", "large", "--range", "7d", "--points", "12", "--format", "json"])
    expect(shown.code).toBe(0)
    const body = JSON.parse(shown.stdout) as { series: { points: Array<{ atMs: number }> }; aggregates: { lastAtMs: number; samples: number } }
    expect(body.series.points).toHaveLength(12)
    expect(body.series.points[11]!.atMs).toBe(body.aggregates.lastAtMs)
    const tableOut = await cli(["analytics", "show", "large", "--range", "7d", "--points", "5"])
    expect(tableOut.code).toBe(0)
    expect(tableOut.stdout).toMatch(/^samples\s+\d+$/m)
    expect(tableOut.stdout).toMatch(/^online\s+average [\d.]+, min \d+, peak \d+ at /m)
    expect(tableOut.stdout).toMatch(/^TIME\s+SAMPLES\s+ONLINE\s+ONLINE MAX\s+MEMBERS$/m)
  })

  it("analytics export streams CSV to a file with the chosen delimiter and time zone", async () => {
    const file = join(tempDir(), "large.csv")
    const exported = await cli(["analytics", "export", "large", "--range", "1h", "--delimiter", ";", "--time-zone", "Asia/Kolkata", "--output", file])
    expect(exported.code).toBe(0)
    const lines = readFileSync(file, "utf8").trim().split("\n")
    expect(lines[0]!.startsWith("time;profile;span_seconds;samples;state;online;")).toBe(true)
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines.slice(1)) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30;large;/)
    const ndjson = await cli(["analytics", "export", "large", "--range", "1h", "--format", "ndjson"])
    expect(ndjson.code).toBe(0)
    expect(ndjson.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { profile: string }).profile).every((p) => p === "large")).toBe(true)
  })

  it("analytics report; a key limited to one profile reports only it and cannot read another's analytics", async () => {
    const all = await cli(["analytics", "report", "--range", "7d", "--format", "json"])
    expect(all.code).toBe(0)
    expect((JSON.parse(all.stdout) as { profiles: Array<{ profile: string }> }).profiles.map((p) => p.profile).sort()).toEqual(["large", "no-widget", "small"])
    const created = await fetch(`${serve.url}/v1/keys`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "small-only", role: "viewer", profiles: ["small"] })
    })
    expect(created.status).toBe(201)
    const limited = ((await created.json()) as { secret: string }).secret
    const report = await cli(["analytics", "report", "--format", "json"], limited)
    expect(report.code).toBe(0)
    expect((JSON.parse(report.stdout) as { profiles: Array<{ profile: string }> }).profiles.map((p) => p.profile)).toEqual(["small"])
    const other = await cli(["analytics", "show", "large"], limited)
    expect(other.code).toBe(4)
    expect(other.stderr).toContain("not found (404)")
    const table = await cli(["analytics", "report", "--range", "7d"])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^profiles\s+3$/m)
    expect(table.stdout).toMatch(/^MOST ACTIVE\s+AVERAGE ONLINE$/m)
  })

  it("a bad parameter is exit 2 with the field named; an export refused writes no file", async () => {
    const bad = await cli(["analytics", "show", "large", "--time-zone", "Mars/Olympus"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("tz: must be an IANA time zone")
    const file = join(tempDir(), "never.csv")
    const refused = await cli(["analytics", "export", "large", "--delimiter", "x", "--output", file])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("delimiter")
    expect(() => readFileSync(file)).toThrow()
  })
})
