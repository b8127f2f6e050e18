import { join } from "node:path"
import { writeFileSync } from "node:fs"
import { SANDBOX_BOT_TOKEN, SANDBOX_SECOND_BOT_TOKEN } from "@guildpulse/connector-discord/sandbox"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run, startServe, tempDir } from "./harness.js"

const ADMIN_KEY = "gp_admin_token-tests-0123456789"
const UNKNOWN_TOKEN = "sandbox.not-a-real-token.0000000000000000000000000009"

describe("guildpulse tokens against a running guildpulse serve --sandbox", () => {
  let serve: Awaited<ReturnType<typeof startServe>>
  let env: Record<string, string>
  const dir = tempDir()
  const outputs: Array<string> = []
  const cli = async (args: ReadonlyArray<string>, stdin?: string) => {
    const result = await run(args, { env, ...(stdin !== undefined ? { stdin } : {}) })
    outputs.push(result.stdout, result.stderr)
    return result
  }
  const tokenFile = (name: string, token: string) => {
    const file = join(dir, name)
    writeFileSync(file, `${token}\n`, { mode: 0o600 })
    return file
  }

  beforeAll(async () => {
    serve = await startServe(["--sandbox"], { GUILDPULSE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: "info" }, dir)
    env = { GUILDPULSE_URL: serve.url, GUILDPULSE_API_KEY: ADMIN_KEY }
  })

  afterAll(async () => {
    serve?.signal("SIGTERM")
    await serve?.exited
  })

  it("set from a file or stdin: checked with Discord, stored, metadata shown; a rotation moves rotatedAt", async () => {
    const fromFile = await cli(["tokens", "set", "large", "--token-file", tokenFile("large.txt", SANDBOX_BOT_TOKEN), "--format", "json"])
    expect(fromFile.stderr).toBe("")
    expect(fromFile.code).toBe(0)
    const first = JSON.parse(fromFile.stdout) as { token: { status: string; rotatedAt: string } }
    expect(first.token.status).toBe("valid")
    const fromStdin = await cli(["tokens", "set", "small", "--format", "json"], `${SANDBOX_SECOND_BOT_TOKEN}\n`)
    expect(fromStdin.code).toBe(0)
    expect((JSON.parse(fromStdin.stdout) as { token: { status: string } }).token.status).toBe("valid")
    const rotated = await cli(["tokens", "set", "large", "--format", "json"], SANDBOX_BOT_TOKEN)
    expect(rotated.code).toBe(0)
    expect(Date.parse((JSON.parse(rotated.stdout) as { token: { rotatedAt: string } }).token.rotatedAt)).toBeGreaterThanOrEqual(Date.parse(first.token.rotatedAt))
    const shown = await cli(["tokens", "validate", "large"])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toMatch(/^status\s+valid$/m)
  })

  it("refuses an unknown token and a bot that is not in the guild, saying why (exit 2)", async () => {
    const unknown = await cli(["tokens", "set", "large"], UNKNOWN_TOKEN)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("422")
    expect(unknown.stderr).toContain("401")
    const outside = await cli(["tokens", "set", "large"], SANDBOX_SECOND_BOT_TOKEN)
    expect(outside.code).toBe(2)
    expect(outside.stderr).toContain("is not in guild 613425648685547541")
    const still = await cli(["tokens", "validate", "large", "--format", "json"])
    expect((JSON.parse(still.stdout) as { token: { status: string } }).token.status).toBe("valid")
  })

  it("no token given is a usage error; remove and reencrypt answer", async () => {
    const none = await cli(["tokens", "set", "large"])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("the token is empty")
    const removed = await cli(["tokens", "remove", "small"])
    expect(removed.code).toBe(0)
    expect(removed.stdout).toMatch(/^status\s+missing$/m)
    const reencrypt = await cli(["tokens", "reencrypt", "--format", "json"])
    expect(reencrypt.code).toBe(0)
    expect(JSON.parse(reencrypt.stdout)).toEqual({ rewritten: 0, unchanged: 2, unreadable: [] })
  })

  it("no captured output — the CLI's or the server's logs — contains a token", () => {
    const all = [...outputs, serve.stdout(), serve.stderr()].join("\n")
    expect(all.length).toBeGreaterThan(100)
    for (const token of [SANDBOX_BOT_TOKEN, SANDBOX_SECOND_BOT_TOKEN, UNKNOWN_TOKEN]) expect(all).not.toContain(token)
  })
})
