/**
 * Connector benchmark: the bot endpoint of 2,000 guilds through the connector (RateLimiter + bot source),
 * against the FakeDiscord sandbox with a global limit of 200 requests/s per bot and a per-guild bucket
 * (5 per second), side by side in the same run with `@discordjs/rest` doing the same 2,000 requests.
 *
 * Run: `npm run bench -- connector` (root), `npm run bench -w @guildpulse/connector-discord`, or
 * `node --conditions=@guildpulse/source --import tsx packages/connector-discord/bench/connector.bench.ts`.
 * Writes bench/results/connector.json. Env: BENCH_GUILDS (2000), BENCH_GLOBAL_PER_SECOND (200),
 * BENCH_ROUNDS (2: rounds alternate which client goes first; every run is kept and reported),
 * BENCH_CONCURRENCY (connector fibers in flight, default 2 × the global limit; discord.js gets all 2,000 at once,
 * as its own queues expect).
 *
 * The sandbox runs in a child process (`sandbox-process.ts`): serving 2,000 requests in the measured process
 * would share its event loop and timers with the client and blur both the wall time and the arrival times
 * the sandbox checks limits against. It is warmed up (JIT, sockets) with a few hundred plain requests
 * first; its stats and buckets are reset before each client's run.
 *
 * Theoretical minimum = requests ÷ global limit (10 s for 2,000 at 200/s). A client that sends its first
 * window at t=0 finishes the last (10th) window at ≈ 9 windows, so ratios slightly below 1 are expected;
 * what matters is the comparison and the zero 429s / zero violations.
 */
import { fork } from "node:child_process"
import { cpus, loadavg } from "node:os"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { REST } from "@discordjs/rest"
import { Effect, Either, Redacted } from "effect"
import { BotSource, DiscordConfig, DiscordLive } from "../src/index.js"
import type { SandboxStats } from "../src/sandbox/index.js"
import { BENCH_BOT_TOKEN, benchGuildIds } from "./fixtures.js"

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, "../../..")

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const value = raw === undefined ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer >= 1`)
  return value
}

const GUILDS = intEnv("BENCH_GUILDS", 2_000)
const GLOBAL_PER_SECOND = intEnv("BENCH_GLOBAL_PER_SECOND", 200)
const ROUNDS = intEnv("BENCH_ROUNDS", 2)
const BUCKET = { limit: 5, windowMs: 1_000 }
const TARGET_RATIO = 1.1
/**
 * Fibers in flight for the connector: two windows' worth keeps the budget saturated (a window's requests
 * are answered long before the next one opens) without paying for 2,000 fiber starts up front.
 */
const CONCURRENCY = intEnv("BENCH_CONCURRENCY", 2 * GLOBAL_PER_SECOND)

interface RunResult {
  readonly client: "connector" | "@discordjs/rest"
  readonly round: number
  readonly requests: number
  readonly ok: number
  readonly failed: number
  readonly wallMs: number
  readonly theoreticalMinMs: number
  readonly ratio: number
  readonly received429: number
  readonly violations: number
  readonly sandboxRequests: number
}

const startSandbox = (): Promise<{ url: string; stop: () => void }> =>
  new Promise((resolvePromise, reject) => {
    const child = fork(resolve(here, "sandbox-process.ts"), [], {
      execArgv: ["--conditions=@guildpulse/source", "--import", "tsx"],
      env: {
        ...process.env,
        BENCH_GUILDS: String(GUILDS),
        BENCH_GLOBAL_PER_SECOND: String(GLOBAL_PER_SECOND),
        BENCH_BUCKET_LIMIT: String(BUCKET.limit),
        BENCH_BUCKET_WINDOW_MS: String(BUCKET.windowMs)
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`sandbox process exited early (code ${code})`)))
    child.once("message", (message) => {
      const url = (message as { url?: unknown }).url
      if (typeof url !== "string") return reject(new Error("sandbox process sent no url"))
      child.removeAllListeners("exit")
      resolvePromise({ url, stop: () => child.disconnect() })
    })
  })

const control = async (url: string, method: string, path: string): Promise<unknown> => {
  const res = await fetch(`${url}/__sandbox/${path}`, { method })
  if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status}`)
  return res.json()
}

const result = (
  client: RunResult["client"],
  round: number,
  ok: number,
  wallMs: number,
  stats: SandboxStats
): RunResult => {
  const theoreticalMinMs = (GUILDS / GLOBAL_PER_SECOND) * 1000
  return {
    client,
    round,
    requests: GUILDS,
    ok,
    failed: GUILDS - ok,
    wallMs: Math.round(wallMs),
    theoreticalMinMs,
    ratio: Math.round((wallMs / theoreticalMinMs) * 1000) / 1000,
    received429: stats.rateLimited,
    violations: stats.violations,
    sandboxRequests: stats.totalRequests
  }
}

const runConnector = async (url: string, round: number): Promise<RunResult> => {
  await control(url, "POST", "reset")
  const ids = benchGuildIds(GUILDS)
  const token = Redacted.make(BENCH_BOT_TOKEN)
  const program = Effect.gen(function* () {
    const started = performance.now()
    const outcomes = yield* Effect.forEach(ids, (id) => Effect.either(BotSource.fetch(id, token)), { concurrency: CONCURRENCY })
    const wallMs = performance.now() - started
    return { wallMs, ok: outcomes.filter(Either.isRight).length, firstError: outcomes.find(Either.isLeft)?.left }
  })
  const { wallMs, ok, firstError } = await Effect.runPromise(
    Effect.scoped(
      program.pipe(
        Effect.provide(
          DiscordLive.layer({
            baseUrl: `${url}/api`,
            globalRequestsPerSecond: GLOBAL_PER_SECOND,
            requestTimeoutMs: DiscordConfig.DEFAULT_REQUEST_TIMEOUT_MS
          })
        )
      )
    )
  )
  if (firstError !== undefined) console.error(`connector: first failure: ${firstError.reason}: ${firstError.message}`)
  return result("connector", round, ok, wallMs, (await control(url, "GET", "stats")) as SandboxStats)
}

const runDiscordJs = async (url: string, round: number): Promise<RunResult> => {
  await control(url, "POST", "reset")
  const ids = benchGuildIds(GUILDS)
  const rest = new REST({ version: "10", api: `${url}/api`, globalRequestsPerSecond: GLOBAL_PER_SECOND }).setToken(BENCH_BOT_TOKEN)
  const started = performance.now()
  const outcomes = await Promise.allSettled(
    ids.map((id) => rest.get(`/guilds/${id}`, { query: new URLSearchParams({ with_counts: "true" }) }))
  )
  const wallMs = performance.now() - started
  const firstError = outcomes.find((o) => o.status === "rejected")
  if (firstError !== undefined) console.error(`@discordjs/rest: first failure: ${String(firstError.reason)}`)
  rest.clearHashSweeper()
  rest.clearHandlerSweeper()
  return result("@discordjs/rest", round, outcomes.filter((o) => o.status === "fulfilled").length, wallMs, (await control(url, "GET", "stats")) as SandboxStats)
}

/** Two spaced bursts of plain requests, so that neither client pays for the sandbox's cold start. */
const warmUp = async (url: string): Promise<void> => {
  const ids = benchGuildIds(Math.min(GUILDS, 300))
  const burst = (slice: ReadonlyArray<string>) =>
    Promise.all(
      slice.map((id) =>
        fetch(`${url}/api/v10/guilds/${id}?with_counts=true`, { headers: { Authorization: `Bot ${BENCH_BOT_TOKEN}` } }).then((r) => r.arrayBuffer())
      )
    )
  const half = Math.floor(GLOBAL_PER_SECOND / 2)
  await burst(ids.slice(0, half))
  await new Promise((r) => setTimeout(r, 1_100))
  await burst(ids.slice(half, 2 * half))
  await control(url, "POST", "reset")
}

const pad = (value: string | number, width: number): string => String(value).padStart(width)

const main = async () => {
  const loadBefore = loadavg()[0]
  const sandbox = await startSandbox()
  const runs: Array<RunResult> = []
  try {
    await warmUp(sandbox.url)
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate the order between rounds so that neither client always runs on a warmer sandbox.
      const order = round % 2 === 1 ? [runConnector, runDiscordJs] : [runDiscordJs, runConnector]
      for (const run of order) {
        const r = await run(sandbox.url, round)
        runs.push(r)
        console.log(`  round ${round}: ${r.client.padEnd(16)} ${(r.wallMs / 1000).toFixed(2)} s, ${r.received429} × 429, ${r.violations} violations`)
      }
    }
  } finally {
    sandbox.stop()
  }

  const best = (client: RunResult["client"]) =>
    runs.filter((r) => r.client === client).reduce((a, b) => (b.wallMs < a.wallMs ? b : a))
  const worst = (client: RunResult["client"]) =>
    runs.filter((r) => r.client === client).reduce((a, b) => (b.wallMs > a.wallMs ? b : a))
  const connector = worst("connector")
  const reference = best("@discordjs/rest")
  const totals = (client: RunResult["client"]) => ({
    received429: runs.filter((r) => r.client === client).reduce((n, r) => n + r.received429, 0),
    violations: runs.filter((r) => r.client === client).reduce((n, r) => n + r.violations, 0)
  })
  const targets = {
    ratioAtMost: TARGET_RATIO,
    ratioMet: connector.ratio <= TARGET_RATIO,
    zero429: totals("connector").received429 === 0,
    zeroViolations: totals("connector").violations === 0,
    notSlowerThanDiscordJs: connector.wallMs <= reference.wallMs,
    allSucceeded: runs.filter((r) => r.client === "connector").every((r) => r.failed === 0)
  }

  console.log("")
  console.log(`Bot endpoint × ${GUILDS} guilds, global limit ${GLOBAL_PER_SECOND}/s, bucket ${BUCKET.limit}/${BUCKET.windowMs} ms per guild`)
  console.log(`${"client".padEnd(18)}${pad("wall s", 9)}${pad("min s", 8)}${pad("ratio", 8)}${pad("429s", 7)}${pad("violations", 12)}${pad("ok", 7)}`)
  for (const r of runs) {
    console.log(
      `${`${r.client}${ROUNDS > 1 ? ` #${r.round}` : ""}`.padEnd(18)}${pad((r.wallMs / 1000).toFixed(2), 9)}${pad((r.theoreticalMinMs / 1000).toFixed(2), 8)}${pad(r.ratio.toFixed(3), 8)}${pad(r.received429, 7)}${pad(r.violations, 12)}${pad(r.ok, 7)}`
    )
  }
  console.log(
    `targets: ratio ≤ ${TARGET_RATIO} ${targets.ratioMet ? "✓" : "✗"} · zero 429s ${targets.zero429 ? "✓" : "✗"} · zero violations ${targets.zeroViolations ? "✓" : "✗"} · not slower than @discordjs/rest ${targets.notSlowerThanDiscordJs ? "✓" : "✗"}`
  )

  const out = {
    benchmark: "connector",
    node: process.version,
    date: new Date().toISOString(),
    setup: {
      guilds: GUILDS,
      endpoint: "GET /api/v10/guilds/{id}?with_counts=true",
      globalLimitPerSecond: GLOBAL_PER_SECOND,
      bucket: BUCKET,
      sandbox: "FakeDiscord in a child process, warmed up, reset before each run",
      rounds: ROUNDS,
      connectorConcurrency: CONCURRENCY,
      connectorGlobalWindowMarginMs: DiscordConfig.DEFAULT_GLOBAL_WINDOW_MARGIN_MS,
      discordJsOffsetMs: 50,
      cpus: cpus().length,
      loadAverage1m: { before: Math.round((loadBefore ?? 0) * 100) / 100, after: Math.round((loadavg()[0] ?? 0) * 100) / 100 }
    },
    theoreticalMinMs: (GUILDS / GLOBAL_PER_SECOND) * 1000,
    runs,
    targets
  }
  mkdirSync(resolve(root, "bench/results"), { recursive: true })
  writeFileSync(resolve(root, "bench/results/connector.json"), `${JSON.stringify(out, null, 2)}\n`)
  console.log("wrote bench/results/connector.json")
  if (!(targets.ratioMet && targets.zero429 && targets.zeroViolations && targets.allSucceeded)) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
