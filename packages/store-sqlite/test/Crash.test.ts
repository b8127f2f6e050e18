/**
 * Crash safety with real processes: a child writes in a loop (profiles and tokens durable and acknowledged on
 * stdout after they return; snapshots and events written behind every 20 ms) and is killed with SIGKILL at a
 * random point — after a random number of acknowledgements, i.e. in the middle of its writes. Each restart
 * (the next child, which takes over the stale lock) reports what it found; the parent checks it against every
 * acknowledgement so far:
 *
 * - the file opens (integrity check passed) and no acknowledged durable write is lost;
 * - the state is consistent: a token is never newer than its profile, a snapshot never newer than its profile,
 *   and the previous life's events are a gap-free prefix of what it emitted (batches commit whole or not at all).
 *
 * Two independent data directories run side by side, and the next child of each is started (modules loaded)
 * while the previous one still runs, so the loop is bounded by process start-up, not by waiting.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { bundleWorker, spawnWorker, type Worker, type WorkerMessage } from "./harness/worker.js"

const ITERATIONS_PER_LANE = 100
const LANES = 2
const root = mkdtempSync(join(tmpdir(), "gp-sqlite-crash-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const tokenVersion = (token: string) => Number(token.slice(token.lastIndexOf("-") + 1))

interface LaneReport {
  readonly iterations: number
  readonly acknowledged: number
  readonly killedMidFlushWindow: number
}

const runLane = async (script: string, lane: number): Promise<LaneReport> => {
  const dataDir = join(root, `lane${lane}`)
  const random = prng(0x5eed + lane)
  const ackedProfile = new Map<string, number>()
  const ackedSecret = new Map<string, number>()
  const spawnLife = (life: number) => spawnWorker(script, { DATA_DIR: dataDir, WORKER_MODE: "crash", LIFE: String(life) })
  let acknowledged = 0
  let next: Worker = spawnLife(0)
  for (let life = 0; life <= ITERATIONS_PER_LANE; life++) {
    const worker = next
    await worker.waitFor((m) => m.type === "loaded", 60_000)
    worker.open()
    const state = await worker.waitFor((m) => m.type === "state", 60_000)
    checkState(state, life, ackedProfile, ackedSecret, lane)
    if (life === ITERATIONS_PER_LANE) {
      worker.kill("SIGKILL")
      await worker.exited
      break
    }
    next = spawnLife(life + 1)
    const target = 1 + Math.floor(random() * 16)
    const isAck = (m: WorkerMessage) => m.type === "ack"
    await worker.waitForCount(isAck, target, 60_000)
    worker.kill("SIGKILL")
    const exit = await worker.exited
    assert.strictEqual(exit.signal, "SIGKILL", `lane ${lane} life ${life} ended by itself: ${worker.stderr()}`)
    for (const message of worker.messages) {
      if (message.type !== "ack") continue
      acknowledged += 1
      const ledger = message["what"] === "profile" ? ackedProfile : ackedSecret
      const key = String(message["key"])
      ledger.set(key, Math.max(ledger.get(key) ?? 0, Number(message["version"])))
    }
  }
  return { iterations: ITERATIONS_PER_LANE, acknowledged, killedMidFlushWindow: 0 }
}

const checkState = (
  state: WorkerMessage,
  life: number,
  ackedProfile: Map<string, number>,
  ackedSecret: Map<string, number>,
  lane: number
) => {
  const where = `lane ${lane}, after life ${life - 1}`
  const profiles = new Map(state["profiles"] as Array<[string, number]>)
  const tokens = new Map(state["tokens"] as Array<[string, string]>)
  const snapshots = new Map(state["snapshots"] as Array<[string, number]>)
  for (const [key, version] of ackedProfile) {
    const stored = profiles.get(key)
    assert.isDefined(stored, `${where}: acknowledged profile ${key} v${version} is gone`)
    assert.isAtLeast(stored!, version, `${where}: profile ${key} went back from acknowledged v${version}`)
  }
  for (const [key, version] of ackedSecret) {
    const token = tokens.get(key)
    assert.isDefined(token, `${where}: acknowledged token of ${key} is gone`)
    assert.isAtLeast(tokenVersion(token!), version, `${where}: token of ${key} went back from acknowledged v${version}`)
  }
  for (const [key, token] of tokens) {
    assert.isAtMost(tokenVersion(token), profiles.get(key) ?? 0, `${where}: token of ${key} is newer than its profile`)
  }
  for (const [key, attemptedAtMs] of snapshots) {
    assert.isAtMost(attemptedAtMs, profiles.get(key) ?? 0, `${where}: snapshot of ${key} is newer than its profile`)
  }
  const steps = state["previousLifeSteps"] as Array<number>
  assert.deepStrictEqual(steps, Array.from({ length: steps.length }, (_, i) => i), `${where}: the events are not a gap-free prefix`)
  // What the store holds is the new base line: a commit whose acknowledgement the kill swallowed counts too.
  for (const [key, version] of profiles) ackedProfile.set(key, version)
  for (const [key, token] of tokens) ackedSecret.set(key, tokenVersion(token))
}

describe("SIGKILL in the middle of writes", () => {
  let script = ""
  beforeAll(async () => {
    script = await bundleWorker("crash")
  }, 120_000)

  it(`loses no acknowledged durable write and stays consistent over ${ITERATIONS_PER_LANE * LANES} kills`, async () => {
    const reports = await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(script, lane)))
    const total = reports.reduce((n, r) => n + r.iterations, 0)
    assert.strictEqual(total, ITERATIONS_PER_LANE * LANES)
    assert.isAbove(reports.reduce((n, r) => n + r.acknowledged, 0), total, "the children did write between kills")
  }, 1_500_000)
})
