import { request } from "node:http"
import {
  countsAt,
  defaultFixtures,
  inviteCountsAt,
  LARGE_GUILD_ID,
  SANDBOX_BOT_TOKEN,
  SMALL_GUILD_ID,
  WIDGET_DISABLED_GUILD_ID
} from "@guildpulse/connector-discord/sandbox"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run, startSandbox, startServe, tempDir, writeJson } from "./harness.js"
import { threeProfiles } from "./profiles.js"

const guild = (id: string) => {
  const found = defaultFixtures.guilds.find((g) => g.id === id)
  if (found === undefined) throw new Error(`no fixture ${id}`)
  return found
}

interface View {
  readonly counts: { readonly online?: number; readonly members?: number }
  readonly sources: ReadonlyArray<{ readonly source: string; readonly ok: boolean; readonly fetchedAt?: string }>
  readonly freshness: { readonly state: string }
}

const getJson = async (url: string): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(url)
  return { status: res.status, body: await res.json() }
}

/** The fetch instant of one source of a view (the sandbox's counts are a pure function of it). */
const fetchedAtOf = (view: View, source: string): number => {
  const report = view.sources.find((s) => s.source === source && s.ok)
  if (report?.fetchedAt === undefined) throw new Error(`no successful ${source} fetch in ${JSON.stringify(view)}`)
  return Date.parse(report.fetchedAt)
}

describe("guildpulse serve against a separately started guildpulse sandbox", () => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>
  let serve: Awaited<ReturnType<typeof startServe>>

  beforeAll(async () => {
    sandbox = await startSandbox()
    const dir = tempDir()
    const config = threeProfiles(dir)
    serve = await startServe([], { GUILDPULSE_CONFIG: config, DISCORD_API_BASE_URL: `${sandbox.url}/api`, LOG_LEVEL: "debug" }, dir)
  })

  afterAll(async () => {
    serve?.signal("SIGTERM")
    sandbox?.signal("SIGTERM")
    await Promise.all([serve?.exited, sandbox?.exited])
  })

  it("prints one startup summary: store, profiles with their sources, listening URL", () => {
    const out = serve.stdout()
    expect(out).toContain("store      embedded (libSQL file in ./.guildpulse)")
    expect(out).toMatch(/widget\s+guild 1129384756102938475\s+sources widget\n/)
    expect(out).toMatch(/bot\s+guild 613425648685547541\s+sources bot\s+\(token set\)/)
    expect(out).toMatch(/invite\s+guild 874519203746512384\s+sources invite\n/)
  })

  it("the operator console is off unless the config file turns it on", async () => {
    expect(serve.stdout()).toContain("console    off (console.enabled in the config file)")
    expect((await fetch(`${serve.url}/console/login`)).status).toBe(404)
  })

  it("answers stats with the sandbox's numbers for a widget, a bot and an invite profile", async () => {
    const widget = (await getJson(`${serve.url}/v1/profiles/widget/stats`)).body as View
    expect(widget.counts.online).toBe(countsAt(guild(SMALL_GUILD_ID), fetchedAtOf(widget, "widget")).presenceCount)

    const bot = (await getJson(`${serve.url}/v1/profiles/bot/stats`)).body as View
    const botCounts = countsAt(guild(LARGE_GUILD_ID), fetchedAtOf(bot, "bot"))
    expect(bot.counts).toMatchObject({ online: botCounts.presenceCount, members: botCounts.memberCount })

    const invite = (await getJson(`${serve.url}/v1/profiles/invite/stats`)).body as View
    const inviteCounts = inviteCountsAt(guild(WIDGET_DISABLED_GUILD_ID), fetchedAtOf(invite, "invite"))
    expect(invite.counts).toMatchObject({ online: inviteCounts.presenceCount, members: inviteCounts.memberCount })
  })

  it("serves the widget fragment and the badge with the same numbers", async () => {
    const view = (await getJson(`${serve.url}/v1/profiles/bot/stats`)).body as View
    const members = view.counts.members ?? -1
    const badge = await fetch(`${serve.url}/v1/profiles/bot/badge.svg`)
    expect(badge.status).toBe(200)
    expect(badge.headers.get("content-type")).toContain("image/svg+xml")
    const svg = await badge.text()
    const formatted = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(members)
    expect(svg.includes(members.toLocaleString("en")) || svg.includes(formatted)).toBe(true)
    const widget = await fetch(`${serve.url}/v1/profiles/bot/widget`)
    expect(widget.status).toBe(200)
    expect(await widget.text()).toContain("Pulse City")
  })

  it("never shows the bot token: not in the output, not in any answer", async () => {
    const answers = await Promise.all(
      ["/v1/profiles/bot/stats", "/v1/profiles/bot/widget", "/v1/profiles/bot/badge.svg", "/openapi.json", "/readyz"].map(async (path) =>
        (await fetch(`${serve.url}${path}`)).text()
      )
    )
    for (const text of answers) expect(text).not.toContain(SANDBOX_BOT_TOKEN)
    expect(serve.output()).not.toContain(SANDBOX_BOT_TOKEN)
    expect(sandbox.output()).not.toContain(SANDBOX_BOT_TOKEN)
  })
})

/**
 * A request on its own connection; resolves with the status, or the connection error's code. `onSent` is
 * called once the connection is established and the whole request handed to the kernel (a request's
 * "finish" alone can fire while the socket is still connecting).
 */
const requestOnce = (url: string, onSent: () => void): Promise<number | string> =>
  new Promise((resolve) => {
    let connected = false
    let finished = false
    const check = () => connected && finished && onSent()
    const req = request(url, { agent: false }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("socket", (socket) => socket.once("connect", () => ((connected = true), check())))
    req.on("finish", () => ((finished = true), check()))
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"))
    req.end()
  })

describe("guildpulse serve --sandbox", () => {
  it("guild icons come from the sandbox's own CDN (the demo's cards show them), not Discord's", async () => {
    const serve = await startServe(["--sandbox"], { LOG_LEVEL: "none" }, tempDir())
    try {
      const [, sandboxUrl] = await serve.waitFor(/controls at (http:\/\/[\d.]+:\d+)\/__sandbox\/stats/)
      const view = (await getJson(`${serve.url}/v1/profiles/large/stats`)).body as { guild: { iconUrl?: string } }
      expect(view.guild.iconUrl?.startsWith(`${sandboxUrl}/cdn/icons/${LARGE_GUILD_ID}/`)).toBe(true)
    } finally {
      serve.signal("SIGTERM")
      await serve.exited
    }
  })
})

describe("guildpulse serve shutdown", () => {
  it("SIGTERM while requests wait on a slow Discord: every request is answered, then the process exits 0", async () => {
    const sandbox = await startSandbox()
    try {
      const put = await fetch(`${sandbox.url}/__sandbox/scenario`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ mode: "slow", params: { latencyMs: 1500 } })
      })
      expect(put.status).toBe(200)
      const dir = tempDir()
      const config = writeJson(dir, "guildpulse.config.json", {
        profiles: [{ key: "widget", label: "Widget", guildId: SMALL_GUILD_ID, sources: { widget: true, bot: false, invite: false }, fallback: { demo: "never" } }]
      })
      const serve = await startServe([], { GUILDPULSE_CONFIG: config, DISCORD_API_BASE_URL: `${sandbox.url}/api` }, dir)
      const count = 40
      let written = 0
      let allWritten: () => void = () => undefined
      const sent = new Promise<void>((resolve) => (allWritten = resolve))
      const answers = Array.from({ length: count }, () =>
        requestOnce(`${serve.url}/v1/profiles/widget/stats`, () => {
          written += 1
          if (written === count) allWritten()
        })
      )
      await sent
      serve.signal("SIGTERM")
      const statuses = await Promise.all(answers)
      expect(statuses).toEqual(Array.from({ length: count }, () => 200))
      expect(await serve.exited).toBe(0)
      expect(serve.stdout()).toContain("GuildPulse stopped.")
    } finally {
      sandbox.signal("SIGTERM")
      await sandbox.exited
    }
  })
})

describe("guildpulse serve restart on the embedded store", () => {
  it("serves the last numbers at once after a restart, even while Discord is down", async () => {
    const sandbox = await startSandbox()
    try {
      const dir = tempDir()
      const config = threeProfiles(dir)
      const env = { GUILDPULSE_CONFIG: config, DISCORD_API_BASE_URL: `${sandbox.url}/api` }
      const first = await startServe([], env, dir)
      const before = (await getJson(`${first.url}/v1/profiles/bot/stats`)).body as View
      expect(before.freshness.state).toBe("fresh")
      first.signal("SIGTERM")
      expect(await first.exited).toBe(0)

      const outage = await fetch(`${sandbox.url}/__sandbox/scenario`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ mode: "outage" })
      })
      expect(outage.status).toBe(200)
      const second = await startServe([], env, dir)
      try {
        const after = (await getJson(`${second.url}/v1/profiles/bot/stats`)).body as View
        expect(after.counts).toEqual(before.counts)
        expect(fetchedAtOf(after, "bot")).toBe(fetchedAtOf(before, "bot"))
        expect(second.output()).not.toContain(SANDBOX_BOT_TOKEN)
      } finally {
        second.signal("SIGTERM")
        expect(await second.exited).toBe(0)
      }
    } finally {
      sandbox.signal("SIGTERM")
      await sandbox.exited
    }
  })
})

describe("guildpulse serve: bad input", () => {
  it("a bad config exits 2 before listening, naming each bad value", async () => {
    const dir = tempDir()
    const config = writeJson(dir, "guildpulse.config.json", { profiles: [{ key: "x", label: "X", guildId: "not-a-snowflake" }] })
    const result = await run(["serve"], { env: { GUILDPULSE_CONFIG: config, PORT: "0" } })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("profiles[0].guildId: must be a Discord snowflake (17-20 digits)")
    expect(result.stdout).not.toContain("listening")
  })

  it("--role web without Redis is refused with the fix", async () => {
    const result = await run(["serve", "--role", "web"], { env: { PORT: "0" }, cwd: tempDir() })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--role web needs a shared store: set REDIS_URL")
  })

  it("an unknown role is refused by the argument parser", async () => {
    const result = await run(["serve", "--role", "both"], { cwd: tempDir() })
    expect(result.code).toBe(2)
  })

  it("--help of serve and sandbox", async () => {
    for (const command of ["serve", "sandbox"]) {
      const result = await run([command, "--help"])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("USAGE")
    }
  })
})
