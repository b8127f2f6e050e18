import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { run, tempDir, writeJson } from "./harness.js"

const goodProfile = { key: "small", label: "Small", guildId: "1129384756102938475" }

describe("guildpulse config", () => {
  it("validate accepts a good file and says what it found", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "token.txt"), "a-token-from-a-file\n")
    const file = writeJson(dir, "guildpulse.config.json", {
      profiles: [goodProfile, { key: "bot", label: "Bot", guildId: "613425648685547541", token: { file: "./token.txt" } }]
    })
    const result = await run(["config", "validate", "--config", file])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("valid — 2 profile(s), 1 token(s) resolved")
  })

  it("validate reports every bad value with its path and exits 2", async () => {
    const dir = tempDir()
    const file = writeJson(dir, "bad.json", {
      server: { port: 70000 },
      console: { enabled: true, idleMinutes: 0 },
      profiles: [
        { key: "Bad Key", label: "x", guildId: "12" },
        { key: "ok", label: "ok", guildId: "613425648685547541", sources: { widget: "yes" } }
      ],
      colour: "blue"
    })
    const result = await run(["config", "validate", "--config", file])
    expect(result.code).toBe(2)
    const lines = result.stderr.split("\n").map((l) => l.trim())
    expect(lines).toContain("server.port: must be a port number (0-65535)")
    expect(lines).toContain("profiles[0].guildId: must be a Discord snowflake (17-20 digits)")
    expect(lines.some((l) => l.startsWith("profiles[0].key: "))).toBe(true)
    expect(lines).toContain('profiles[1].sources.widget: Expected boolean, actual "yes"')
    expect(lines).toContain("colour: is not a known setting")
    expect(lines).toContain("console.idleMinutes: must be an integer from 1 to 1440")
  })

  it("GUILDPULSE_CONFIG names the file; environment values are checked too", async () => {
    const dir = tempDir()
    const file = writeJson(dir, "elsewhere.json", { profiles: [goodProfile] })
    const ok = await run(["config", "validate"], { env: { GUILDPULSE_CONFIG: file } })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain("elsewhere.json: valid")
    const badEnv = await run(["config", "validate"], { env: { GUILDPULSE_CONFIG: file, PORT: "eighty" } })
    expect(badEnv.code).toBe(2)
    expect(badEnv.stderr).toContain("environment PORT")
  })

  it("a named file that does not exist, or is not JSON, is an error naming it", async () => {
    const dir = tempDir()
    const missing = await run(["config", "validate"], { env: { GUILDPULSE_CONFIG: join(dir, "nope.json") } })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("nope.json")
    expect(missing.stderr).toContain("file not found")
    writeFileSync(join(dir, "broken.json"), "{ profiles: [")
    const broken = await run(["config", "validate", "--config", join(dir, "broken.json")])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain("is not valid JSON")
  })

  it("refuses inline secrets unless allowed, and names unset token variables", async () => {
    const dir = tempDir()
    const inline = writeJson(dir, "inline.json", { profiles: [{ ...goodProfile, token: { value: "inline-secret-token" } }] })
    const refused = await run(["config", "validate", "--config", inline])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("profiles[0].token.value: secrets are not written in the config file")
    expect(refused.stderr).not.toContain("inline-secret-token")
    const allowed = writeJson(dir, "allowed.json", { allowInlineSecrets: true, profiles: [{ ...goodProfile, token: { value: "inline-secret-token" } }] })
    expect((await run(["config", "validate", "--config", allowed])).code).toBe(0)
    const fromEnv = writeJson(dir, "env.json", { profiles: [{ ...goodProfile, token: { env: "SMALL_BOT_TOKEN" } }] })
    const unset = await run(["config", "validate", "--config", fromEnv])
    expect(unset.code).toBe(2)
    expect(unset.stderr).toContain("profiles[0].token.env: environment variable SMALL_BOT_TOKEN is not set")
    const set = await run(["config", "validate", "--config", fromEnv], { env: { SMALL_BOT_TOKEN: "tok-from-env-123" } })
    expect(set.code).toBe(0)
    expect(set.stdout + set.stderr).not.toContain("tok-from-env-123")
  })

  it("schema prints a JSON Schema describing profiles and secret references", async () => {
    const result = await run(["config", "schema"])
    expect(result.code).toBe(0)
    const schema = JSON.parse(result.stdout) as { $defs: Record<string, { properties?: Record<string, unknown>; required?: Array<string> }> }
    const root = schema.$defs["GuildPulseConfig"]
    expect(root?.required).toEqual(["profiles"])
    expect(Object.keys(root?.properties ?? {})).toContain("budgets")
    expect(schema.$defs["Profile"]?.required).toEqual(["key", "label", "guildId"])
    expect(Object.keys(schema.$defs)).toContain("SecretRef")
  })

  it("--help of config, validate and schema", async () => {
    for (const args of [["config", "--help"], ["config", "validate", "--help"], ["config", "schema", "--help"]]) {
      const result = await run(args)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("USAGE")
    }
  })

  it("checks the OTLP endpoint and the SMTP server, naming where each bad value comes from", async () => {
    const dir = tempDir()
    const email = { kind: "email", to: ["ops@example.com"] }
    const file = writeJson(dir, "guildpulse.config.json", {
      telemetry: { otlpEndpoint: "collector:4318" },
      alerts: { channels: [email] },
      profiles: [goodProfile]
    })
    const bad = await run(["config", "validate", "--config", file])
    expect(bad.code).toBe(2)
    const lines = bad.stderr.split("\n").map((l) => l.trim())
    expect(lines).toContain("telemetry.otlpEndpoint: must be an absolute http(s) URL")

    const fixed = writeJson(dir, "fixed.json", { telemetry: { otlpEndpoint: "http://127.0.0.1:4318" }, alerts: { channels: [email] }, profiles: [goodProfile] })
    const noSmtp = await run(["config", "validate", "--config", fixed])
    expect(noSmtp.code).toBe(2)
    expect(noSmtp.stderr).toContain("alerts.channels[0].smtpUrl: no SMTP server: set it here, in alerts.smtpUrl, or in the environment (SMTP_URL)")

    const ok = await run(["config", "validate", "--config", fixed], { env: { SMTP_URL: "smtps://alerts:s3cret-pass@mail.example.com:465" } })
    expect(ok.stderr).toBe("")
    expect(ok.code).toBe(0)

    const badEnv = await run(["config", "validate", "--config", fixed], {
      env: { SMTP_URL: "http://mail.example.com", OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }
    })
    expect(badEnv.code).toBe(2)
    const envLines = badEnv.stderr.split("\n").map((l) => l.trim())
    expect(envLines).toContain("environment SMTP_URL: must be an smtp:// or smtps:// URL, such as smtps://user:password@mail.example.com:465")
    expect(envLines).toContain("environment OTEL_EXPORTER_OTLP_ENDPOINT: must be an absolute http(s) URL without credentials, such as http://127.0.0.1:4318")
    expect(badEnv.stderr).not.toContain("s3cret")
  })
})
