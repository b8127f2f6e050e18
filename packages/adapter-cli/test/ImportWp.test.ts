import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { packageDir, run, startServe, tempDir, writeJson } from "./harness.js"

const ADMIN_KEY = "gp_admin_import-wp-tests-0123456789"
const legacy = JSON.parse(readFileSync(join(packageDir, "../adapter-wordpress/test/fixtures/legacy-options.json"), "utf8")) as Record<string, unknown>

describe("guildpulse import-wp against a running guildpulse serve --sandbox", () => {
  let serve: Awaited<ReturnType<typeof startServe>>
  let env: Record<string, string>
  let file: string

  beforeAll(async () => {
    serve = await startServe(["--sandbox"], { GUILDPULSE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: "none" }, tempDir())
    env = { GUILDPULSE_URL: serve.url, GUILDPULSE_API_KEY: ADMIN_KEY }
    file = writeJson(tempDir(), "legacy.json", legacy)
  })

  afterAll(async () => {
    serve?.signal("SIGTERM")
    await serve?.exited
  })

  const keys = async () => {
    const listed = await run(["profiles", "list", "--format", "json"], { env })
    return (JSON.parse(listed.stdout) as Array<{ key: string }>).map((p) => p.key).sort()
  }

  it("--dry-run shows the plan and changes nothing", async () => {
    const dry = await run(["import-wp", file, "--dry-run"], { env })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain("Dry run: nothing was changed.")
    expect(dry.stdout).toMatch(/^esports\s+Team Esports\s+803456789012345678\s+server_profiles\.esports\s+would create\s+set again$/m)
    expect(dry.stderr).toContain("4/4")
    expect(await keys()).toEqual(["large", "no-widget", "small"])
  })

  it("creates the profiles with a progress bar, lists the tokens to set again, and keeps existing profiles on a second run", async () => {
    const first = await run(["import-wp", file], { env })
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(/\[#{24}\] 4\/4/)
    expect(first.stdout).toMatch(/^art_club\s+Art Club \(FR\)\s+804567890123456789\s+server_profiles\.Art Club\s+created\s+none \(widget only\)$/m)
    expect(first.stdout).toContain("skipped server_profiles.broken")
    expect(first.stdout).toContain("guildpulse tokens set default, guildpulse tokens set esports")
    expect(first.stdout).not.toContain("ZW5j")
    expect(await keys()).toEqual(["art_club", "default", "esports", "large", "no-widget", "radio", "small"])
    const got = JSON.parse((await run(["profiles", "get", "art_club", "--format", "json"], { env })).stdout) as { display: { theme: string }; refresh: { ttlSeconds: number } }
    expect(got.display.theme).toBe("light")
    expect(got.refresh.ttlSeconds).toBe(600)

    const second = await run(["import-wp", file, "--format", "json"], { env })
    expect(second.code).toBe(0)
    expect((JSON.parse(second.stdout) as { profiles: Array<{ result: string }> }).profiles.map((p) => p.result)).toEqual(["exists", "exists", "exists", "exists"])
    const dry = await run(["import-wp", file, "--dry-run", "--format", "json"], { env })
    expect((JSON.parse(dry.stdout) as { profiles: Array<{ result: string }> }).profiles.map((p) => p.result)).toEqual(["exists", "exists", "exists", "exists"])
  })

  it("refuses a file that is not the option's JSON", async () => {
    const bad = writeJson(tempDir(), "bad.json", [1, 2])
    const result = await run(["import-wp", bad], { env })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("expected the JSON object of the discord_server_stats_options option")
  })
})
