/**
 * The console dashboard's first render with 1,000 profiles: an in-memory engine with observability (every
 * profile refreshed once from a fixed source, so health has circuits, windows and freshness to show), the
 * router with the console on, a signed-in session; then `GET /console/` — the first request and a series
 * after it. Server time is measured inside the server (request in → response finished); transferred bytes
 * are the body as sent (the router does not compress; gzip is given for a compressing proxy in front).
 *
 *   node --conditions=@guildpulse/source --import tsx packages/adapter-express/bench/console.bench.ts
 *
 * Writes bench/results/console.json.
 */
import { writeFileSync, mkdirSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { Engine, fromInput, ProfileInput, Stats, StatsSource } from "@guildpulse/core"
import { Observability, ObservabilityHttp } from "@guildpulse/observability"
import express from "express"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted, Schema } from "effect"
import { guildPulse, Server } from "@guildpulse/adapter-express"

const PROFILES = Number(process.env["GP_BENCH_PROFILES"] ?? 1000)
const RUNS = Number(process.env["GP_BENCH_RUNS"] ?? 30)
const ADMIN_KEY = "bench-admin-key-0123456789abcdef"

const now = new Date().toISOString()
const profiles = Array.from({ length: PROFILES }, (_, i) =>
  fromInput(
    Schema.decodeUnknownSync(ProfileInput)({
      key: `p${String(i).padStart(4, "0")}`,
      label: `Community number ${i}`,
      guildId: `1${String(i).padStart(17, "0")}`,
      sources: { invite: false },
      refresh: { ttlSeconds: 3600 }
    }),
    now
  )
)
const source = StatsSource.layerFixed({
  widget: { name: "Bench Guild", online: 1234, presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 }, instantInvite: "https://discord.gg/bench" },
  bot: { name: "Bench Guild", members: 56789, boosts: 14, boostTier: 3 }
})
const options: Engine.MemoryEngineOptions = { profiles, tokens: Object.fromEntries(profiles.map((p) => [p.key, "bench-token"])), scheduler: false }
const engine = Observability.layer({ digest: false, alerts: false }).pipe(
  Layer.provideMerge(Observability.engineMemory(options)),
  Layer.provide(source),
  Layer.provide(Logger.minimumLogLevel(LogLevel.None))
)
const runtime = ManagedRuntime.make(engine)

const main = async () => {
  const http = await runtime.runPromise(ObservabilityHttp.ObservabilityHttp)
  // Every profile refreshed once (a foreground refresh from the fixed source).
  await runtime.runPromise(Effect.flatMap(Stats.Stats, (stats) => Effect.forEach(profiles, (p) => stats.get(p.key), { concurrency: 16, discard: true })))
  const router = guildPulse({ runtime, adminKey: Redacted.make(ADMIN_KEY), console: { observability: http } })
  const serverTimes = new Map<string, number>()
  const app = express()
  app.use((req, res, next) => {
    const started = process.hrtime.bigint()
    res.on("finish", () => serverTimes.set(String(req.headers["x-bench-id"] ?? ""), Number(process.hrtime.bigint() - started) / 1e6))
    next()
  })
  app.use(router)
  const server = Server.httpServer(app)
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
  await router.ready
  const port = (server.address() as { port: number }).port
  const base = `http://127.0.0.1:${port}`

  const form = await fetch(`${base}/console/login`)
  const pre = /gp_console_login=([^;]+)/.exec(form.headers.get("set-cookie") ?? "")![1]!
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!
  const signedIn = await fetch(`${base}/console/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: `gp_console_login=${pre}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, key: ADMIN_KEY }).toString()
  })
  const cookie = `gp_console=${/gp_console=([^;]+)/.exec(signedIn.headers.get("set-cookie") ?? "")![1]!}`

  const samples: Array<{ serverMs: number; clientMs: number; bytes: number; gzipBytes: number; rows: number }> = []
  for (let i = 0; i <= RUNS; i++) {
    const started = process.hrtime.bigint()
    const res = await fetch(`${base}/console/`, { headers: { cookie, "x-bench-id": String(i) } })
    const body = Buffer.from(await res.arrayBuffer())
    const clientMs = Number(process.hrtime.bigint() - started) / 1e6
    if (res.status !== 200) throw new Error(`dashboard answered ${res.status}`)
    const rows = (body.toString("utf8").match(/<tr data-profile=/g) ?? []).length
    if (rows !== PROFILES) throw new Error(`dashboard showed ${rows} rows, expected ${PROFILES}`)
    samples.push({ serverMs: serverTimes.get(String(i)) ?? NaN, clientMs, bytes: body.length, gzipBytes: gzipSync(body).length, rows })
  }
  server.close()
  server.closeAllConnections()
  await runtime.dispose()

  const [first, ...rest] = samples
  const sorted = (xs: Array<number>) => [...xs].sort((a, b) => a - b)
  const pct = (xs: Array<number>, p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
  const round = (x: number) => Math.round(x * 10) / 10
  const result = {
    benchmark: "console dashboard first render",
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, loadavg1: round(loadavg()[0]!) },
    setup: { profiles: PROFILES, runs: RUNS, route: "GET /console/ (signed in with the bootstrap key; health of every profile)", compression: "none (gzip size given for reference)" },
    first: { serverMs: round(first!.serverMs), clientMs: round(first!.clientMs), bytes: first!.bytes, gzipBytes: first!.gzipBytes },
    warm: {
      serverMsP50: round(pct(rest.map((s) => s.serverMs), 50)),
      serverMsP95: round(pct(rest.map((s) => s.serverMs), 95)),
      clientMsP50: round(pct(rest.map((s) => s.clientMs), 50)),
      bytes: rest[0]!.bytes,
      gzipBytes: rest[0]!.gzipBytes
    }
  }
  console.log(JSON.stringify(result, null, 2))
  const out = resolve(dirname(fileURLToPath(import.meta.url)), "../../../bench/results/console.json")
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
