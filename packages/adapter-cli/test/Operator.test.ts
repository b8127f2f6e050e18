import { SANDBOX_BOT_TOKEN } from "@guildpulse/connector-discord/sandbox"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run, startServe, tempDir } from "./harness.js"

const ADMIN_KEY = "gp_admin_operator-tests-0123456789"

describe("operator commands against a running guildpulse serve --sandbox", () => {
  let serve: Awaited<ReturnType<typeof startServe>>
  let env: Record<string, string>
  const outputs: Array<string> = []
  const cli = async (args: ReadonlyArray<string>, extraEnv: Record<string, string> = {}) => {
    const result = await run(args, { env: { ...env, ...extraEnv } })
    outputs.push(result.stdout, result.stderr)
    return result
  }

  beforeAll(async () => {
    serve = await startServe(["--sandbox"], { GUILDPULSE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: "none" }, tempDir())
    env = { GUILDPULSE_URL: serve.url, GUILDPULSE_API_KEY: ADMIN_KEY }
  })

  afterAll(async () => {
    serve?.signal("SIGTERM")
    await serve?.exited
  })

  it("serve --sandbox turns the operator console on: sign in with the admin key, the health dashboard", async () => {
    expect(serve.stdout()).toContain(`console    ${serve.url}/console/ (sign in with an API key)`)
    const form = await fetch(`${serve.url}/console/login`)
    expect(form.status).toBe(200)
    const pre = /gp_console_login=([^;]+)/.exec(form.headers.get("set-cookie") ?? "")![1]!
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!
    const signedIn = await fetch(`${serve.url}/console/login`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `gp_console_login=${pre}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, key: ADMIN_KEY }).toString()
    })
    expect(signedIn.status).toBe(303)
    const session = /gp_console=([^;]+)/.exec(signedIn.headers.get("set-cookie") ?? "")![1]!
    const dashboard = await fetch(`${serve.url}/console/`, { headers: { cookie: `gp_console=${session}` } })
    expect(dashboard.status).toBe(200)
    const html = await dashboard.text()
    for (const key of ["large", "small", "no-widget"]) expect(html).toContain(`<tr data-profile="${key}"`)
    expect(html).not.toContain(ADMIN_KEY)
  })

  it("profiles list: a table for people, JSON for scripts", async () => {
    const tableOut = await cli(["profiles", "list"])
    expect(tableOut.code).toBe(0)
    expect(tableOut.stdout).toMatch(/^KEY\s+LABEL\s+GUILD\s+SOURCES/m)
    expect(tableOut.stdout).toMatch(/^large\s+Pulse City \(large, bot\)\s+613425648685547541\s+widget,bot,invite/m)
    const jsonOut = await cli(["profiles", "list", "--format", "json"])
    expect(jsonOut.code).toBe(0)
    expect((JSON.parse(jsonOut.stdout) as Array<{ key: string }>).map((p) => p.key).sort()).toEqual(["large", "no-widget", "small"])
  })

  it("profiles get, add, update, remove — and their refusals", async () => {
    const got = await cli(["profiles", "get", "large"])
    expect(got.code).toBe(0)
    expect(got.stdout).toMatch(/^guild\s+613425648685547541$/m)
    expect((await cli(["profiles", "get", "nope"])).code).toBe(4)

    const added = await cli(["profiles", "add", "extra", "--label", "Extra", "--guild-id", "1129384756102938475", "--sources", "widget"])
    expect(added.stderr).toBe("")
    expect(added.code).toBe(0)
    const again = await cli(["profiles", "add", "extra", "--label", "Extra", "--guild-id", "1129384756102938475"])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("409")
    const badGuild = await cli(["profiles", "add", "other", "--label", "Other", "--guild-id", "12"])
    expect(badGuild.code).toBe(2)
    expect(badGuild.stderr).toContain("guildId")
    const badSources = await cli(["profiles", "add", "other", "--label", "Other", "--guild-id", "1129384756102938475", "--sources", "rss"])
    expect(badSources.code).toBe(2)
    expect(badSources.stderr).toContain("unknown source(s) rss")
    const noLabel = await cli(["profiles", "add", "other", "--guild-id", "1129384756102938475"])
    expect(noLabel.code).toBe(2)
    expect(noLabel.stderr).toContain("--label")

    const updated = await cli(["profiles", "update", "extra", "--ttl", "120"])
    expect(updated.code).toBe(0)
    expect(updated.stdout).toContain("Updated profile 'extra' (version 2)")
    const nothing = await cli(["profiles", "update", "extra"])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain("nothing to change")

    expect((await cli(["profiles", "remove", "extra"])).code).toBe(0)
    expect((await cli(["profiles", "remove", "extra"])).code).toBe(4)
  })

  it("refresh: a result per profile, and exit 1 when one fails", async () => {
    const ok = await cli(["refresh", "small", "large"])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/^small\s+accepted\s+\d{4}-/m)
    expect(ok.stdout).toMatch(/^large\s+accepted\s+\d{4}-/m)
    expect(ok.stderr).toContain("[########################] 2/2")
    const everything = await cli(["refresh", "--all", "--format", "json"])
    expect(everything.code).toBe(0)
    const refreshed = JSON.parse(everything.stdout) as Array<{ profile: string; ok: boolean }>
    expect(refreshed.filter((r) => ["small", "large", "no-widget"].includes(r.profile)).map((r) => r.ok)).toEqual([true, true, true])
    expect(refreshed.every((r) => r.ok)).toBe(true)
    const partly = await cli(["refresh", "small", "ghost"])
    expect(partly.code).toBe(1)
    expect(partly.stdout).toMatch(/^ghost\s+failed\s+POST \/v1\/profiles\/ghost\/refresh: not found \(404\)/m)
    const none = await cli(["refresh"])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("name the profiles to refresh, or pass --all")
  })

  it("stats: the public numbers, as a table or JSON", async () => {
    const jsonOut = await cli(["stats", "large", "--format", "json"])
    expect(jsonOut.code).toBe(0)
    const view = JSON.parse(jsonOut.stdout) as { counts: { members: number } }
    expect(view.counts.members).toBeGreaterThan(100_000)
    const tableOut = await cli(["stats", "large"])
    expect(tableOut.code).toBe(0)
    expect(tableOut.stdout).toMatch(/^server\s+Pulse City$/m)
    expect(tableOut.stdout).toMatch(/^members\s+\d+$/m)
    expect((await cli(["stats", "ghost"])).code).toBe(4)
  })

  it("health and events tail", async () => {
    const health = await cli(["health", "--format", "json"])
    expect(health.code).toBe(0)
    expect((JSON.parse(health.stdout) as { profiles: Array<unknown> }).profiles).toHaveLength(3)
    const events = await cli(["events", "tail", "--profile", "small", "--limit", "5"])
    expect(events.code).toBe(0)
    const lines = events.stdout.trim().split("\n")
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line).toMatch(/^\S+\s+\w+\s+\S+\s+small\s/)
    const badLimit = await cli(["events", "tail", "--limit", "0"])
    expect(badLimit.code).toBe(2)
  })

  it("a missing key, a refused key, an unreachable server and a bad URL each get a clear message and exit code", async () => {
    const noKey = await run(["profiles", "list"], { env: { GUILDPULSE_URL: serve.url } })
    expect(noKey.code).toBe(1)
    expect(noKey.stderr).toContain("Pass --key or set GUILDPULSE_API_KEY")
    const wrongKey = await cli(["profiles", "list", "--key", "gp_wrong_key_0000000000"])
    expect(wrongKey.code).toBe(1)
    expect(wrongKey.stderr).toContain("The key given was refused")
    const down = await cli(["health", "--url", "http://127.0.0.1:9"])
    expect(down.code).toBe(3)
    expect(down.stderr).toContain("Cannot reach the GuildPulse server at http://127.0.0.1:9")
    const badUrl = await cli(["health", "--url", "not a url"])
    expect(badUrl.code).toBe(2)
    expect(badUrl.stderr).toContain("--url must be an http(s) URL")
  })

  it("--help on every operator command", async () => {
    const commands = [
      ["profiles"],
      ["profiles", "list"],
      ["profiles", "get"],
      ["profiles", "add"],
      ["profiles", "update"],
      ["profiles", "remove"],
      ["refresh"],
      ["stats"],
      ["health"],
      ["events", "tail"]
    ]
    const results = await Promise.all(commands.map((args) => run([...args, "--help"])))
    for (const result of results) {
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("USAGE")
    }
  })

  it("neither the admin key nor the sandbox token appears in any output", () => {
    const all = outputs.join("\n") + serve.output()
    expect(all).not.toContain(ADMIN_KEY)
    expect(all).not.toContain(SANDBOX_BOT_TOKEN)
  })
})
