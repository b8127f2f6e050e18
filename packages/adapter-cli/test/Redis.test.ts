/**
 * Several instances on one Redis, as processes: a real redis-server, a separately started `guildpulse
 * sandbox`, two `guildpulse serve --role web` and one `guildpulse serve --role worker`. Everything is awaited
 * by what it prints or answers, never by a fixed sleep.
 */
import { randomBytes } from "node:crypto"
import {
  countsAt,
  defaultFixtures,
  inviteCountsAt,
  LARGE_GUILD_ID,
  LARGE_GUILD_INVITE,
  SMALL_GUILD_ID,
  WIDGET_DISABLED_GUILD_ID
} from "@guildpulse/connector-discord/sandbox"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startRedisServer, type RedisServer } from "../../store-redis/test/harness/redisServer.js"
import { run, start, startSandbox, startServe, tempDir, type Running } from "./harness.js"
import { threeProfiles } from "./profiles.js"

const ADMIN_KEY = "redis-test-admin-key-0123456789"
const PREFIX = "gpcli:"

const guild = (id: string) => {
  const found = defaultFixtures.guilds.find((g) => g.id === id)
  if (found === undefined) throw new Error(`no fixture ${id}`)
  return found
}

interface View {
  readonly profile: string
  readonly counts: { readonly online?: number; readonly members?: number }
  readonly sources: ReadonlyArray<{ readonly source: string; readonly ok: boolean; readonly fetchedAt?: string }>
  readonly freshness: { readonly state: string }
}

interface SandboxStats {
  readonly routes: Readonly<Record<string, { readonly requests: number } | undefined>>
}

const fetchedAtOf = (view: View, source: string): number => {
  const report = view.sources.find((s) => s.source === source && s.ok)
  if (report?.fetchedAt === undefined) throw new Error(`no successful ${source} fetch in ${JSON.stringify(view)}`)
  return Date.parse(report.fetchedAt)
}

/** The numbers the sandbox gave for a profile's source at the instant it was asked. */
const expectedCounts = (view: View): { online: number; members?: number } => {
  switch (view.profile) {
    case "widget":
      return { online: countsAt(guild(SMALL_GUILD_ID), fetchedAtOf(view, "widget")).presenceCount }
    case "bot": {
      const c = countsAt(guild(LARGE_GUILD_ID), fetchedAtOf(view, "bot"))
      return { online: c.presenceCount, members: c.memberCount }
    }
    case "invite": {
      const c = inviteCountsAt(guild(WIDGET_DISABLED_GUILD_ID), fetchedAtOf(view, "invite"))
      return { online: c.presenceCount, members: c.memberCount }
    }
    case "late": {
      const c = inviteCountsAt(guild(LARGE_GUILD_ID), fetchedAtOf(view, "invite"))
      return { online: c.presenceCount, members: c.memberCount }
    }
    default:
      throw new Error(`unexpected profile ${view.profile}`)
  }
}

const sourceRoute: Record<string, string> = { widget: "widget", bot: "guild", invite: "invite" }

describe("two web instances and a worker on one Redis (REDIS_URL)", () => {
  let redis: RedisServer
  let sandbox: Awaited<ReturnType<typeof startSandbox>>
  let web1: Awaited<ReturnType<typeof startServe>>
  let web2: Awaited<ReturnType<typeof startServe>>
  let worker: Running | undefined
  let env: Record<string, string>
  let dir: string

  const sandboxStats = async (): Promise<SandboxStats> => (await (await fetch(`${sandbox.url}/__sandbox/stats`)).json()) as SandboxStats
  const upstreamCalls = async (route: string): Promise<number> => (await sandboxStats()).routes[route]?.requests ?? 0
  const admin = { Authorization: `Bearer ${ADMIN_KEY}` }

  beforeAll(async () => {
    redis = await startRedisServer()
    sandbox = await startSandbox()
    dir = tempDir()
    // Every request of the burst comes from 127.0.0.1: the per-client public budget is off so that the test
    // is about single flight, not about one client's rate limit.
    const config = threeProfiles(dir, { budgets: { publicRateLimit: false } })
    env = {
      REDIS_URL: redis.url,
      GUILDPULSE_REDIS_PREFIX: PREFIX,
      GUILDPULSE_CONFIG: config,
      DISCORD_API_BASE_URL: `${sandbox.url}/api`,
      GUILDPULSE_ADMIN_KEY: ADMIN_KEY,
      GUILDPULSE_MASTER_KEYS: `k1:${randomBytes(32).toString("base64")}`
    }
    // Both web instances start at once on an empty Redis: both seed the same profiles.
    ;[web1, web2] = await Promise.all([startServe(["--role", "web"], env, dir), startServe(["--role", "web"], env, dir)])
  })

  afterAll(async () => {
    for (const p of [web1, web2, worker, sandbox]) p?.signal("SIGTERM")
    await Promise.all([web1?.exited, web2?.exited, worker?.exited, sandbox?.exited])
    await redis?.stop()
  })

  it("1,000 concurrent cold requests across both web instances: one upstream call per source, the sandbox's numbers in every answer", async () => {
    // Cold: nothing has been asked of the sandbox yet (the web instances only enqueue refresh jobs).
    for (const route of Object.values(sourceRoute)) expect(await upstreamCalls(route)).toBe(0)

    const keys = ["widget", "bot", "invite"] as const
    const webs = [web1, web2]
    // The worker starts with the burst: its first jobs race the web instances' foreground rounds.
    worker = start(["serve", "--role", "worker"], { env, cwd: dir })
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const res = await fetch(`${webs[i % 2]!.url}/v1/profiles/${keys[i % 3]}/stats`)
        return { status: res.status, view: (await res.json()) as View }
      })
    )
    await worker.waitFor(/GuildPulse worker running/)

    expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([])
    for (const key of keys) {
      const views = answers.map((a) => a.view).filter((v) => v.profile === key)
      expect(views).toHaveLength(Math.floor(1000 / 3) + (key === "widget" ? 1 : 0))
      // One round per profile for the whole burst: every answer carries the same fetch.
      expect(new Set(views.map((v) => fetchedAtOf(v, key))).size).toBe(1)
      for (const view of views) {
        expect(view.freshness.state).toBe("fresh")
        expect(view.counts).toMatchObject(expectedCounts(view))
      }
    }

    // The worker has taken the jobs the web instances enqueued at start (each is delayed until its next
    // refresh, minutes away) — and called nothing, the burst's rounds being fresh.
    const deadline = Date.now() + 60_000
    for (;;) {
      const health = (await (await fetch(`${web2.url}/v1/health`, { headers: admin })).json()) as {
        profiles: ReadonlyArray<{ job: { nextRunAt: string | null } }>
      }
      const later = health.profiles.filter((p) => p.job.nextRunAt !== null && Date.parse(p.job.nextRunAt) > Date.now() + 60_000)
      if (later.length === 3) break
      if (Date.now() > deadline) throw new Error(`the worker did not take the jobs: ${JSON.stringify(health.profiles.map((p) => p.job))}`)
      await new Promise((resolve) => setImmediate(resolve))
    }
    for (const [key, route] of Object.entries(sourceRoute)) {
      expect({ key, calls: await upstreamCalls(route) }).toEqual({ key, calls: 1 })
    }
  })

  it("a port already taken: the instance says so and exits 1 (its Redis connections closed without a crash)", async () => {
    const port = new URL(web1.url).port
    const result = await run(["serve", "--role", "web"], { env: { ...env, PORT: port }, cwd: dir })
    expect({ code: result.code, inUse: result.stderr.includes(`Port ${port} on 127.0.0.1 is already in use`) }).toEqual({ code: 1, inUse: true })
    expect(result.stderr).not.toContain("Connection is closed")
  })

  it("SIGTERM on a web instance holding a refresh lock: every request it accepted is answered, no lock is left in Redis", async () => {
    // The worker stops first (gracefully), so the only round of the new profile is web1's, under its lease.
    worker?.signal("SIGTERM")
    expect(await worker?.exited).toBe(0)
    expect(worker?.stdout()).toContain("GuildPulse stopped.")

    const created = await fetch(`${web1.url}/v1/profiles/late`, {
      method: "PUT",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ label: "Late", guildId: LARGE_GUILD_ID, inviteCode: LARGE_GUILD_INVITE, sources: { widget: false, bot: false, invite: true } })
    })
    expect(created.status).toBe(201)
    // Discord answers slowly: the round (and its lease) is still running when SIGTERM arrives.
    const slow = await fetch(`${sandbox.url}/__sandbox/scenario`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ mode: "slow", target: { route: "invite" }, params: { latencyMs: 1500 } })
    })
    expect(slow.status).toBe(200)
    const before = await upstreamCalls("invite")

    const inFlight = Array.from({ length: 200 }, async () => {
      const res = await fetch(`${web1.url}/v1/profiles/late/stats`)
      return { status: res.status, view: (await res.json()) as View }
    })
    // The sandbox has the upstream call: web1 holds the refresh lease now.
    const deadline = Date.now() + 30_000
    while ((await upstreamCalls("invite")) === before) {
      if (Date.now() > deadline) throw new Error("web1 never called the sandbox")
      await new Promise((resolve) => setImmediate(resolve))
    }
    web1.signal("SIGTERM")
    const answers = await Promise.all(inFlight)
    expect(await web1.exited).toBe(0)

    expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([])
    for (const { view } of answers) expect(view.counts).toMatchObject(expectedCounts(view))
    expect(await upstreamCalls("invite")).toBe(before + 1)

    const client = new Redis(redis.url)
    try {
      expect(await client.keys(`${PREFIX}lock:*`)).toEqual([])
    } finally {
      client.disconnect()
    }
    // The other instance serves on, from the snapshot web1 left in Redis.
    const after = await fetch(`${web2.url}/v1/profiles/late/stats`)
    expect(after.status).toBe(200)
    expect(((await after.json()) as View).freshness.state).toBe("fresh")
  })
})
