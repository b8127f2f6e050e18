import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { FOREIGN_GUILD_ID, LARGE_GUILD_ID, SANDBOX_BOT_TOKEN, SMALL_GUILD_ID } from "@guildpulse/connector-discord/sandbox"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run, startSandbox, tempDir, writeJson } from "./harness.js"

const ADMIN_KEY = "gp_admin_doctor-tests-0123456789"
const WRONG_TOKEN = "sandbox.not-a-real-bot.9999999999999999999999999999"

describe("guildpulse doctor", () => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>
  beforeAll(async () => {
    sandbox = await startSandbox()
  })
  afterAll(async () => {
    sandbox?.signal("SIGTERM")
    await sandbox?.exited
  })

  it("a good setup passes every check (exit 0) and never prints the token", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "bot.token"), SANDBOX_BOT_TOKEN)
    const config = writeJson(dir, "guildpulse.config.json", {
      profiles: [
        { key: "widget", label: "Widget", guildId: SMALL_GUILD_ID, sources: { bot: false } },
        { key: "bot", label: "Bot", guildId: LARGE_GUILD_ID, token: { file: "./bot.token" } }
      ]
    })
    const result = await run(["doctor"], {
      cwd: dir,
      env: { GUILDPULSE_CONFIG: config, DISCORD_API_BASE_URL: `${sandbox.url}/api`, GUILDPULSE_ADMIN_KEY: ADMIN_KEY }
    })
    expect(result.stdout).not.toContain("FAIL")
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^ok\s+token bot\s+valid \(bot .+\) and a member of guild 613425648685547541$/m)
    expect(result.stdout).toMatch(/^ok\s+store\s+embedded store in/m)
    expect(result.stdout).toMatch(/^ok\s+clock\s+within \d+ s of Discord's$/m)
    expect(result.stdout + result.stderr).not.toContain(SANDBOX_BOT_TOKEN)
    expect(result.stdout + result.stderr).not.toContain(ADMIN_KEY)
  })

  it("a broken setup: exit code = number of failed checks, each with a fix-it line", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "wrong.token"), WRONG_TOKEN)
    writeFileSync(join(dir, "bot.token"), SANDBOX_BOT_TOKEN)
    const config = writeJson(dir, "guildpulse.config.json", {
      profiles: [
        { key: "refused", label: "Refused token", guildId: LARGE_GUILD_ID, token: { file: "./wrong.token" } },
        { key: "elsewhere", label: "Bot not in guild", guildId: FOREIGN_GUILD_ID, token: { file: "./bot.token" } }
      ]
    })
    // No admin key: the third failure.
    const result = await run(["doctor"], { cwd: dir, env: { GUILDPULSE_CONFIG: config, DISCORD_API_BASE_URL: `${sandbox.url}/api` } })
    expect(result.code).toBe(3)
    expect(result.stdout).toMatch(/^FAIL\s+admin key\s+.*\n\s+fix: set GUILDPULSE_ADMIN_KEY/m)
    expect(result.stdout).toMatch(/^FAIL\s+token refused\s+Discord refuses the token \(401\)\n\s+fix: reset the bot token/m)
    expect(result.stdout).toMatch(/^FAIL\s+token elsewhere\s+valid \(bot .+\) but cannot read guild 1098765432109876543.*\n\s+fix: invite the bot/m)
    expect(result.stdout).toContain("3 of")
    expect(result.stdout + result.stderr).not.toContain(WRONG_TOKEN)
    expect(result.stdout + result.stderr).not.toContain(SANDBOX_BOT_TOKEN)
  })

  it("an invalid config and an unreachable Discord are failures with fixes", async () => {
    const dir = tempDir()
    const bad = writeJson(dir, "bad.json", { profiles: [{ key: "x", label: "X", guildId: "1" }] })
    const invalid = await run(["doctor", "--config", bad], { cwd: dir, env: { GUILDPULSE_ADMIN_KEY: ADMIN_KEY } })
    expect(invalid.code).toBe(1)
    expect(invalid.stdout).toContain("profiles[0].guildId: must be a Discord snowflake")
    expect(invalid.stdout).toContain("fix: fix the values above")
    const good = writeJson(dir, "good.json", { profiles: [] })
    const unreachable = await run(["doctor", "--config", good], {
      cwd: dir,
      env: { GUILDPULSE_ADMIN_KEY: ADMIN_KEY, DISCORD_API_BASE_URL: "http://127.0.0.1:9/api" }
    })
    expect(unreachable.code).toBe(1)
    expect(unreachable.stdout).toMatch(/^FAIL\s+discord\s+http:\/\/127\.0\.0\.1:9\/api cannot be reached/m)
  })

  it("--help", async () => {
    const result = await run(["doctor", "--help"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("Exit code = number of failed checks")
  })
})
