/**
 * `guildpulse keys` and `guildpulse audit` against a real `guildpulse serve` on the embedded store: keys and
 * audit entries survive a restart, the secret is shown once and never again (not in any later output, not in
 * the server's logs), bad input is refused with exit 2 naming what is wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run, start, startServe, tempDir } from "./harness.js"

const ADMIN_KEY = "gp_admin_keys-tests-0123456789abcdef"
/** No profile is configured, so Discord is never called; an unused address keeps it that way. */
const NO_DISCORD = "http://127.0.0.1:9/api"

interface KeyJson {
  readonly id: string
  readonly name: string
  readonly scopes: ReadonlyArray<string>
  readonly profiles?: ReadonlyArray<string>
  readonly revokedAt?: string
  readonly useCount: number
}
interface AuditJson {
  readonly id: string
  readonly action: string
  readonly keyId: string
}

const serveEnv = { GUILDPULSE_ADMIN_KEY: ADMIN_KEY, DISCORD_API_BASE_URL: NO_DISCORD, LOG_LEVEL: "debug" }
const jsonLines = (text: string) => text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as AuditJson)

describe("guildpulse keys and audit: keys and audit entries survive a restart of serve", () => {
  it("creates a key through the API, restarts, and the key still works and the audit entries are still there", async () => {
    const dir = tempDir()
    const outputs: Array<string> = []
    const first = await startServe([], serveEnv, dir)
    const cli = async (args: ReadonlyArray<string>, url: string, key = ADMIN_KEY) => {
      const result = await run(args, { env: { GUILDPULSE_URL: url, GUILDPULSE_API_KEY: key } })
      return result
    }
    let secret = ""
    let viewerSecret = ""
    try {
      // A key managing keys only sees and revokes keys within its own scopes: a viewer plus keys:admin and audit:read.
      const created = await cli(["keys", "create", "ci", "--role", "viewer", "--scopes", "keys:admin,audit:read", "--format", "json"], first.url)
      expect(created.code).toBe(0)
      const body = JSON.parse(created.stdout) as { key: KeyJson; secret: string }
      secret = body.secret
      expect(secret).toMatch(new RegExp(`^gp_${body.key.id}_[A-Za-z0-9]{40}$`))
      expect(body.key.scopes).toEqual(["profiles:read", "health:read", "events:read", "metrics:read", "analytics:read", "keys:admin", "audit:read"])

      const viewer = await cli(["keys", "create", "dashboard", "--role", "viewer", "--profiles", "main,other", "--expires", "30d"], first.url)
      expect(viewer.code).toBe(0)
      expect(viewer.stdout).toMatch(/^role\s+viewer$/m)
      expect(viewer.stdout).toMatch(/^profiles\s+main,other$/m)
      expect(viewer.stdout).toContain("Secret (shown this once; store it now, it cannot be read again):")
      viewerSecret = (viewer.stdout.match(/^(gp_[A-Za-z0-9]+_[A-Za-z0-9]{40})$/m) ?? [])[1] ?? ""
      expect(viewerSecret).not.toBe("")

      // The new key works: it lists the keys (a table for people) and reads the audit log.
      const listed = await cli(["keys", "list"], first.url, secret)
      expect(listed.code).toBe(0)
      outputs.push(listed.stdout, listed.stderr)
      expect(listed.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+SCOPES\s+PROFILES\s+EXPIRES\s+LAST USED\s+USES\s+STATUS$/m)
      expect(listed.stdout).toMatch(new RegExp(`^${body.key.id}\\s+ci\\s+viewer\\s+profiles:read,\\S+,audit:read\\s+\\*\\s+-\\s+\\S+\\s+1\\s+active$`, "m"))
      expect(listed.stdout).toMatch(/\sdashboard\s+viewer\s/)
      const audit = await cli(["audit", "--action", "key"], first.url, secret)
      expect(audit.code).toBe(0)
      outputs.push(audit.stdout, audit.stderr)
      expect(audit.stdout.match(/ key\.create\s+-\s+bootstrap-admin\s/g)?.length).toBe(2)

      first.signal("SIGTERM")
      expect(await first.exited).toBe(0)
      outputs.push(first.output())

      const second = await startServe([], serveEnv, dir)
      try {
        const after = await cli(["keys", "list", "--format", "json"], second.url, secret)
        expect(after.code).toBe(0)
        outputs.push(after.stdout, after.stderr)
        const keys = JSON.parse(after.stdout) as ReadonlyArray<KeyJson>
        expect(keys.map((k) => k.name)).toEqual(["ci", "dashboard"])
        // Uses: the listing and the audit read before the restart (the last one written at shutdown), this listing.
        expect(keys[0]?.useCount).toBe(3)
        const entries = await cli(["audit", "--format", "json"], second.url, secret)
        expect(entries.code).toBe(0)
        outputs.push(entries.stdout, entries.stderr)
        expect(jsonLines(entries.stdout).map((e) => [e.action, e.keyId])).toEqual([
          ["key.create", "bootstrap-admin"],
          ["key.create", "bootstrap-admin"]
        ])

        const dashboard = keys[1]!
        const revoked = await cli(["keys", "revoke", dashboard.id], second.url, secret)
        expect(revoked.code).toBe(0)
        outputs.push(revoked.stdout, revoked.stderr)
        expect(revoked.stdout).toContain(`Revoked key ${dashboard.id} (dashboard)`)
        const refused = await fetch(`${second.url}/v1/profiles`, { headers: { Authorization: `Bearer ${viewerSecret}` } })
        expect(refused.status).toBe(401)
        const revokedAudit = await cli(["audit", "--action", "key.revoke", "--format", "json"], second.url, secret)
        outputs.push(revokedAudit.stdout, revokedAudit.stderr)
        expect(jsonLines(revokedAudit.stdout).map((e) => [e.action, e.keyId])).toEqual([["key.revoke", keys[0]!.id]])
      } finally {
        second.signal("SIGTERM")
        expect(await second.exited).toBe(0)
        outputs.push(second.output())
      }
      // After its one display, no secret shows up anywhere: later command output or either server's logs.
      for (const text of outputs) {
        expect(text).not.toContain(secret)
        expect(text).not.toContain(viewerSecret)
        expect(text).not.toContain(ADMIN_KEY)
      }
    } finally {
      first.signal("SIGTERM")
    }
  })
})

describe("guildpulse keys and audit: follow, bad input, help", () => {
  let serve: Awaited<ReturnType<typeof startServe>>
  let env: Record<string, string>
  const cli = (args: ReadonlyArray<string>, extraEnv: Record<string, string> = {}) => run(args, { env: { ...env, ...extraEnv } })

  beforeAll(async () => {
    serve = await startServe([], serveEnv, tempDir())
    env = { GUILDPULSE_URL: serve.url, GUILDPULSE_API_KEY: ADMIN_KEY }
  })

  afterAll(async () => {
    serve?.signal("SIGTERM")
    await serve?.exited
  })

  it("audit --follow prints entries as they are recorded", async () => {
    const follow = start(["audit", "--follow"], { env })
    try {
      await follow.waitFor(/No audit entries\.|AT\s+ACTION/)
      expect((await cli(["keys", "create", "followed", "--role", "viewer", "--format", "json"])).code).toBe(0)
      await follow.waitFor(/ key\.create\s+-\s+bootstrap-admin\s/)
    } finally {
      follow.signal("SIGTERM")
      await follow.exited
    }
  })

  it("refuses bad input with exit 2 naming what is wrong; unknown ids are 4; a missing key is 1", async () => {
    const noScope = await cli(["keys", "create", "x"])
    expect(noScope.code).toBe(2)
    expect(noScope.stderr).toContain("keys create needs --role (viewer, editor, admin) or --scopes")
    const badRole = await cli(["keys", "create", "x", "--role", "boss"])
    expect(badRole.code).toBe(2)
    const badScope = await cli(["keys", "create", "x", "--scopes", "profiles:read,nope"])
    expect(badScope.code).toBe(2)
    expect(badScope.stderr).toMatch(/scopes\.1: /)
    const badExpiry = await cli(["keys", "create", "x", "--role", "viewer", "--expires", "tomorrow"])
    expect(badExpiry.code).toBe(2)
    expect(badExpiry.stderr).toContain("--expires must be an ISO 8601 instant")
    const pastExpiry = await cli(["keys", "create", "x", "--role", "viewer", "--expires", "2020-01-01T00:00:00Z"])
    expect(pastExpiry.code).toBe(2)
    expect(pastExpiry.stderr).toContain("expiresAt: must be in the future")
    const badId = await cli(["keys", "revoke", "not an id!"])
    expect(badId.code).toBe(2)
    expect(badId.stderr).toContain("is not a key id")
    const unknown = await cli(["keys", "revoke", "AAAAAAAAAAAAAAAA"])
    expect(unknown.code).toBe(4)
    const badSince = await cli(["audit", "--since", "yesterday"])
    expect(badSince.code).toBe(2)
    expect(badSince.stderr).toContain("--since must be an ISO 8601 instant")
    const badLimit = await cli(["audit", "--limit", "0"])
    expect(badLimit.code).toBe(2)
    const badAction = await cli(["audit", "--action", "Key Create"])
    expect(badAction.code).toBe(2)
    const noKey = await cli(["keys", "list"], { GUILDPULSE_API_KEY: "" })
    expect(noKey.code).toBe(1)
    expect(noKey.stderr).toContain("the server wants an API key (401)")
    const wrongKey = await cli(["audit"], { GUILDPULSE_API_KEY: "gp_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" })
    expect(wrongKey.code).toBe(1)
    expect(wrongKey.stderr).not.toContain("BBBBBBBBBBBBBBBB")
    expect(serve.output()).not.toContain(ADMIN_KEY)
  })

  it("--help of keys, keys create and audit", async () => {
    const keys = await run(["keys", "--help"])
    expect(keys.code).toBe(0)
    expect(keys.stdout).toMatch(/create/)
    expect(keys.stdout).toMatch(/revoke/)
    const create = await run(["keys", "create", "--help"])
    expect(create.code).toBe(0)
    for (const option of ["--role", "--scopes", "--profiles", "--expires", "--format"]) expect(create.stdout).toContain(option)
    const audit = await run(["audit", "--help"])
    expect(audit.code).toBe(0)
    for (const option of ["--profile", "--action", "--since", "--follow", "--format"]) expect(audit.stdout).toContain(option)
  })
})
