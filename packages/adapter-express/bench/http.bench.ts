/**
 * HTTP benchmark: GuildPulse's stats route (warm cached profile) against a bare Express app with one route
 * returning the same JSON bytes. Targets: ≥ 0.9× bare throughput, p99 ≤ 1.2× bare.
 *
 *   npx tsx packages/adapter-express/bench/http.bench.ts [--duration 10] [--connections 100] [--rounds 1]
 *
 * Fairness on a 2-core machine: each server runs in its own child process (one event loop, like production),
 * autocannon runs in this process. Both servers are started before measuring and benchmarked one after the
 * other in the same run, each after a warm-up; an idle server costs nothing while the other is measured.
 * With `--rounds N` the order alternates and the median of each is reported. `--no-memo` turns off the
 * sub-second memo of fresh answers, so every request runs the engine (one synchronous effect).
 * Also measures the same cached stats request authenticated with a scoped API key (profiles:read, limited to
 * the profile) against the anonymous one on the same server (target ≥ 0.9×).
 * The servers run the BUILT packages (`dist`, as an installed package runs; `npm run build` first); `--source`
 * runs the TypeScript sources through tsx instead, whose keep-names transform wraps every closure a request
 * creates and so adds per-request costs no user pays.
 * Writes `bench/results/http.json` at the repository root.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
// @ts-expect-error autocannon ships no types
import autocannon from "autocannon"

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, "../../..")
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const DURATION_S = arg("duration", 10)
const CONNECTIONS = arg("connections", 100)
const ROUNDS = arg("rounds", 1)
const WARMUP_S = arg("warmup", 3)
const PATH = "/v1/profiles/bench/stats"
const FRESH_MEMO = !process.argv.includes("--no-memo")
const FROM_SOURCE = process.argv.includes("--source")
if (!FROM_SOURCE && !existsSync(join(repoRoot, "packages/adapter-express/dist/index.js"))) {
  console.error("The benchmark runs the built packages: run `npm run build` first (or pass --source).")
  process.exit(1)
}

interface Started {
  readonly child: ChildProcess
  readonly url: string
  /** A scoped API key (profiles:read, limited to the bench profile), GuildPulse server only. */
  readonly key?: string
  /** The server process's CPU time so far (user + system, µs): robust to other load on the machine. */
  readonly cpuMicros: () => Promise<number>
}

const start = (args: ReadonlyArray<string>): Promise<Started> =>
  new Promise((resolvePromise, reject) => {
    const conditions = FROM_SOURCE ? ["--conditions=@guildpulse/source"] : []
    const child = spawn(process.execPath, [...conditions, "--import", "tsx", join(here, "server.ts"), ...args], {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, GP_BENCH_FRESH_MEMO: FRESH_MEMO ? "1" : "0" }
    })
    child.once("exit", (code) => reject(new Error(`server ${args[0]} exited with ${code}`)))
    const lines = createInterface({ input: child.stdout! })
    // After the first line (the port), each line answers one "cpu" request on stdin.
    const waiting: Array<(micros: number) => void> = []
    const cpuMicros = () =>
      new Promise<number>((resolveCpu) => {
        waiting.push(resolveCpu)
        child.stdin!.write("cpu\n")
      })
    lines.once("line", (line) => {
      const { port, key } = JSON.parse(line) as { port: number; key?: string }
      lines.on("line", (answer) => waiting.shift()?.((JSON.parse(answer) as { cpuMicros: number }).cpuMicros))
      resolvePromise({ child, url: `http://127.0.0.1:${port}`, cpuMicros, ...(key !== undefined ? { key } : {}) })
    })
  })

interface Result {
  readonly requestsPerSecond: number
  /** Server CPU time per answered request (µs). */
  readonly cpuMicrosPerRequest: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly non2xx: number
  readonly errors: number
}

/** The part of autocannon's result this benchmark reads. */
interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number }
  readonly latency: { readonly p50: number; readonly p99: number }
  readonly non2xx: number
  readonly errors: number
}

const run = async (server: Started, durationS: number, headers: Record<string, string> = {}): Promise<Result> => {
  const cpuBefore = await server.cpuMicros()
  const result = await new Promise<AutocannonResult>((resolvePromise, reject) => {
    autocannon({ url: `${server.url}${PATH}`, connections: CONNECTIONS, duration: durationS, pipelining: 1, headers }, (error: unknown, result: AutocannonResult) =>
      error ? reject(error) : resolvePromise(result))
  })
  const cpuAfter = await server.cpuMicros()
  return {
        requestsPerSecond: result.requests.average,
        cpuMicrosPerRequest: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const summarize = (results: ReadonlyArray<Result>): Result => ({
  requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
  cpuMicrosPerRequest: median(results.map((r) => r.cpuMicrosPerRequest)),
  p50Ms: median(results.map((r) => r.p50Ms)),
  p99Ms: median(results.map((r) => r.p99Ms)),
  non2xx: results.reduce((n, r) => n + r.non2xx, 0),
  errors: results.reduce((n, r) => n + r.errors, 0)
})

const main = async () => {
  const guildpulse = await start(["guildpulse"])
  const children: Array<ChildProcess> = [guildpulse.child]
  try {
    const response = await fetch(`${guildpulse.url}${PATH}`)
    const body = await response.text()
    if (response.status !== 200) throw new Error(`warm-up answered ${response.status}: ${body}`)
    const dir = mkdtempSync(join(tmpdir(), "gp-bench-"))
    const bodyFile = join(dir, "body.json")
    writeFileSync(bodyFile, body)
    const bare = await start(["bare", bodyFile])
    children.push(bare.child)

    console.log(`warming up (${WARMUP_S} s each)…`)
    await run(bare, WARMUP_S)
    await run(guildpulse, WARMUP_S)

    const scopedHeaders = { Authorization: `Bearer ${guildpulse.key ?? ""}` }
    const check = await fetch(`${guildpulse.url}${PATH}`, { headers: scopedHeaders })
    if (check.status !== 200) throw new Error(`scoped warm-up answered ${check.status}`)
    await run(guildpulse, WARMUP_S, scopedHeaders)

    const results = { bare: [] as Array<Result>, guildpulse: [] as Array<Result>, scoped: [] as Array<Result> }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (["bare", "guildpulse", "scoped"] as const) : (["scoped", "guildpulse", "bare"] as const)
      for (const name of order) {
        console.log(`round ${round + 1}/${ROUNDS}: ${name} (${DURATION_S} s, ${CONNECTIONS} connections)…`)
        results[name].push(await run(name === "bare" ? bare : guildpulse, DURATION_S, name === "scoped" ? scopedHeaders : {}))
      }
    }
    const b = summarize(results.bare)
    const g = summarize(results.guildpulse)
    const sc = summarize(results.scoped)
    // An authenticated request (scoped key, verified-key cache warm) against the anonymous one, same server.
    // `cpuThroughput`: requests per server CPU second, scoped over anonymous (what throughput would be on a
    // core of its own; unlike req/s, other load on the machine does not move it).
    const scopedRatio = {
      throughput: sc.requestsPerSecond / g.requestsPerSecond,
      cpuThroughput: g.cpuMicrosPerRequest / sc.cpuMicrosPerRequest,
      p99: sc.p99Ms / g.p99Ms
    }
    const ratio = {
      throughput: g.requestsPerSecond / b.requestsPerSecond,
      p50: g.p50Ms / b.p50Ms,
      p99: g.p99Ms / b.p99Ms
    }
    const row = (label: string, bare: string, gp: string, r: string) =>
      `${label.padEnd(12)}${bare.padStart(14)}${gp.padStart(14)}${r.padStart(10)}`
    console.log("")
    console.log(row("", "bare express", "guildpulse", "ratio"))
    console.log(row("req/s", b.requestsPerSecond.toFixed(0), g.requestsPerSecond.toFixed(0), `${ratio.throughput.toFixed(2)}×`))
    console.log(row("p50 (ms)", b.p50Ms.toFixed(1), g.p50Ms.toFixed(1), `${ratio.p50.toFixed(2)}×`))
    console.log(row("p99 (ms)", b.p99Ms.toFixed(1), g.p99Ms.toFixed(1), `${ratio.p99.toFixed(2)}×`))
    console.log(row("CPU µs/req", b.cpuMicrosPerRequest.toFixed(1), g.cpuMicrosPerRequest.toFixed(1), `${(b.cpuMicrosPerRequest / g.cpuMicrosPerRequest).toFixed(2)}×`))
    console.log(row("non-2xx", String(b.non2xx), String(g.non2xx), ""))
    console.log("")
    console.log(row("", "anonymous", "scoped key", "ratio"))
    console.log(row("req/s", g.requestsPerSecond.toFixed(0), sc.requestsPerSecond.toFixed(0), `${scopedRatio.throughput.toFixed(2)}×`))
    console.log(row("p99 (ms)", g.p99Ms.toFixed(1), sc.p99Ms.toFixed(1), `${scopedRatio.p99.toFixed(2)}×`))
    console.log(row("CPU µs/req", g.cpuMicrosPerRequest.toFixed(1), sc.cpuMicrosPerRequest.toFixed(1), `${scopedRatio.cpuThroughput.toFixed(2)}×`))
    console.log(row("non-2xx", String(g.non2xx), String(sc.non2xx), ""))
    console.log(`scoped key target (≥ 0.9× anonymous throughput): ${scopedRatio.throughput >= 0.9 ? "met" : "NOT met"}`)
    const targets = { throughputAtLeast: 0.9, p99AtMost: 1.2 }
    const met = ratio.throughput >= targets.throughputAtLeast && ratio.p99 <= targets.p99AtMost
    console.log(`\ntargets (≥ ${targets.throughputAtLeast}× throughput, p99 ≤ ${targets.p99AtMost}×): ${met ? "met" : "NOT met"}`)

    const out = join(repoRoot, "bench", "results", FRESH_MEMO ? "http.json" : "http-no-memo.json")
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          benchmark: "adapter-express http",
          date: new Date().toISOString(),
          node: process.version,
          loadAverage: loadavg(),
          setup: {
            connections: CONNECTIONS,
            durationSeconds: DURATION_S,
            warmupSeconds: WARMUP_S,
            rounds: ROUNDS,
            path: PATH,
            bodyBytes: Buffer.byteLength(body),
            freshMemo: FRESH_MEMO,
            code: FROM_SOURCE ? "TypeScript sources through tsx" : "built packages (dist)",
            processes: "each server in its own child process; autocannon in the parent"
          },
          bare: b,
          guildpulse: g,
          ratio,
          targets,
          met,
          scoped: { result: sc, ratioToAnonymous: scopedRatio, target: { throughputAtLeast: 0.9 }, met: scopedRatio.throughput >= 0.9 },
          runs: results
        },
        null,
        2
      )}\n`
    )
    console.log(`wrote ${out}`)
  } finally {
    for (const child of children) {
      child.removeAllListeners("exit")
      child.kill()
    }
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
