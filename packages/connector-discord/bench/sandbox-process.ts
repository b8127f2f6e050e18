/**
 * The benchmark's sandbox, run as a child process so that serving 2,000 requests does not share an event
 * loop (and its timers) with the client being measured. Started by `connector.bench.ts` over IPC:
 * env BENCH_GUILDS, BENCH_GLOBAL_PER_SECOND, BENCH_BUCKET_LIMIT, BENCH_BUCKET_WINDOW_MS; it answers
 * `{ url }` once listening and stops when the parent disconnects.
 */
import { FakeDiscord } from "../src/sandbox/index.js"
import { benchFixtures } from "./fixtures.js"

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const value = raw === undefined ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer >= 1`)
  return value
}

const guilds = intEnv("BENCH_GUILDS", 2_000)
const globalPerSecond = intEnv("BENCH_GLOBAL_PER_SECOND", 200)
const bucket = { limit: intEnv("BENCH_BUCKET_LIMIT", 5), windowMs: intEnv("BENCH_BUCKET_WINDOW_MS", 1_000) }

const server = await FakeDiscord.start({
  port: 0,
  fixtures: benchFixtures(guilds),
  limits: { guild: bucket, widget: bucket, globalPerSecond, unauthenticatedPerSecond: globalPerSecond }
})
const stop = () => {
  void server.stop().finally(() => process.exit(0))
}
process.on("disconnect", stop)
process.on("SIGTERM", stop)
process.send?.({ url: server.url })
