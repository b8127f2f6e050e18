/**
 * Recovery, measured live: the engine (in-memory stores, its own scheduler, the real Discord connector) against
 * the real FakeDiscord HTTP server, one sandbox and one engine per failure mode, all modes at once.
 *
 * Per mode: three profiles of the same guild (ttl 30 s, widget + bot + invite) are warmed up until fresh; the
 * mode is switched on for 30 s (one ttl) while profile `m0` gets no manual refresh, `m1` one and `m20` twenty
 * (the admin API's refresh: `RefreshScheduler.trigger`); then the sandbox is healthy again and the bench waits
 * for the event — each profile `fresh` (read from the snapshot store, no public request helping) — up to a
 * generous bound, and records the seconds measured. Wall-clock time: the engine's clock is the real one (the
 * sandbox accepts an injected clock, but the connector's HTTP timeouts run on real time), so this is a
 * measurement, not a test; the same goal is tested under TestClock in packages/core/test/Recovery.test.ts.
 *
 * Misconfiguration modes (widget-disabled, invalid-token, unknown-guild) are expected to keep the profile fresh
 * through the sources still usable, and to clear the misconfigured source at its next probe (30 s after it was
 * seen, then at a doubling interval up to hourly); unknown-guild (every source misconfigured) parks the profile
 * until that probe. A profile still parked when the bound passes is reported with its planned probe time.
 *
 * Run: `npm run bench -- recovery` (writes bench/results/recovery.json).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { DiscordLive } from "@guildpulse/connector-discord"
import { FakeDiscord, LARGE_GUILD_ID, LARGE_GUILD_INVITE, SANDBOX_BOT_TOKEN } from "@guildpulse/connector-discord/sandbox"
import type { ScenarioMode } from "@guildpulse/connector-discord/sandbox"
import { Engine, fromInput, freshnessOf, ProfileInput, RefreshScheduler, SnapshotStore } from "@guildpulse/core"
import type { Profile } from "@guildpulse/core"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Option, Schema } from "effect"

const TTL_SECONDS = 30
const FAULT_SECONDS = 30
const POLL_MS = 250
/** How long to wait for a profile after the fault (well above the ttl + 30 s goal). */
const BOUND_SECONDS = 180
const MANUAL = [0, 1, 20] as const
const ALL_MODES: ReadonlyArray<ScenarioMode> = [
  "healthy", "rate-limited", "global-rate-limit", "outage", "slow", "timeout", "malformed", "flapping",
  "connection-reset", "widget-disabled", "unknown-guild", "invalid-token"
]
/** `RECOVERY_MODES=outage,timeout` runs a subset. */
const MODES = process.env["RECOVERY_MODES"] === undefined
  ? ALL_MODES
  : ALL_MODES.filter((m) => process.env["RECOVERY_MODES"]!.split(",").includes(m))
const progress = (mode: string, what: string) => process.stderr.write(`[${new Date().toISOString()}] ${mode}: ${what}\n`)

interface Cell {
  readonly manual: number
  /** How long the fault actually lasted. */
  readonly faultSeconds: number
  /** Seconds after the fault ended until `fresh`; null when not within the bound. */
  readonly freshSeconds: number | null
  /** … until no source reported trouble any more (`reasons` empty); null when not within the bound. */
  readonly cleanSeconds: number | null
  /** The planned next attempt when the bound passed without recovery (a parked profile's next probe). */
  readonly plannedSeconds: number | null
  readonly parked: boolean
}

const profiles = (nowIso: string): ReadonlyArray<Profile> =>
  MANUAL.map((m) =>
    fromInput(
      Schema.decodeUnknownSync(ProfileInput)({
        key: `m${m}`,
        label: `${m} manual refreshes`,
        guildId: LARGE_GUILD_ID,
        inviteCode: LARGE_GUILD_INVITE,
        sources: { widget: true, bot: true, invite: true },
        refresh: { ttlSeconds: TTL_SECONDS }
      }),
      nowIso
    )
  )

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const runMode = async (mode: ScenarioMode): Promise<ReadonlyArray<Cell>> => {
  const sandbox = await FakeDiscord.start({ port: 0 })
  const all = profiles(new Date().toISOString())
  const tokens = Object.fromEntries(all.map((p) => [p.key, SANDBOX_BOT_TOKEN]))
  const layer = Engine.layerMemoryWith(DiscordLive.layerWithStore({ baseUrl: `${sandbox.url}/api` }), {
    profiles: all,
    tokens,
    scheduler: {}
  })
  const runtime = ManagedRuntime.make(Layer.provideMerge(layer, Logger.minimumLogLevel(LogLevel.None)))
  const run = <A, E>(effect: Effect.Effect<A, E, Engine.Services>) => runtime.runPromise(effect)
  const state = (profile: Profile) =>
    run(Effect.gen(function* () {
      const snapshot = yield* (yield* SnapshotStore.SnapshotStore).get(profile.key)
      if (Option.isNone(snapshot)) return { fresh: false, clean: false, nextAtMs: undefined, parked: false }
      const view = freshnessOf(snapshot.value, profile, Date.now())
      return {
        fresh: view.state === "fresh",
        clean: view.state === "fresh" && view.reasons.length === 0,
        nextAtMs: snapshot.value.nextRefreshAtMs,
        parked: snapshot.value.round === "parked"
      }
    }))
  try {
    // Warm up: every profile fresh and clean.
    const warmDeadline = Date.now() + 60_000
    while (Date.now() < warmDeadline) {
      const states = await Promise.all(all.map(state))
      if (states.every((s) => s.clean)) break
      await sleep(POLL_MS)
    }
    progress(mode, "warm; fault on")
    sandbox.setScenario({ mode })
    const faultStart = Date.now()
    const triggers = all.map(async (profile, i) => {
      const count = MANUAL[i]!
      for (let k = 0; k < count; k++) {
        await sleep(faultStart + ((k + 1) * FAULT_SECONDS * 1000) / (count + 1) - Date.now())
        // As an operator clicking "refresh" repeatedly: one click does not wait for the previous round.
        void run(Effect.flatMap(RefreshScheduler.RefreshScheduler, (s) => s.trigger(profile.key))).catch(() => undefined)
      }
    })
    await Promise.all(triggers)
    await sleep(faultStart + FAULT_SECONDS * 1000 - Date.now())
    sandbox.clearScenarios()
    const faultEnd = Date.now()
    progress(mode, "fault off")
    const fresh = new Map<string, number>()
    const clean = new Map<string, number>()
    let last = await Promise.all(all.map(state))
    while (Date.now() - faultEnd < BOUND_SECONDS * 1000 && clean.size < all.length) {
      last = await Promise.all(all.map(state))
      const seconds = Math.round((Date.now() - faultEnd) / 100) / 10
      all.forEach((p, i) => {
        if (last[i]!.fresh && !fresh.has(p.key)) fresh.set(p.key, seconds)
        if (last[i]!.clean && !clean.has(p.key)) clean.set(p.key, seconds)
      })
      await sleep(POLL_MS)
    }
    progress(mode, "measured")
    return all.map((p, i) => ({
      manual: MANUAL[i]!,
      faultSeconds: Math.round((faultEnd - faultStart) / 100) / 10,
      freshSeconds: fresh.get(p.key) ?? null,
      cleanSeconds: clean.get(p.key) ?? null,
      plannedSeconds: clean.has(p.key) || last[i]!.nextAtMs === undefined ? null : Math.round((last[i]!.nextAtMs! - faultEnd) / 1000),
      parked: last[i]!.parked
    }))
  } finally {
    await sandbox.stop()
    await runtime.dispose()
    progress(mode, "closed")
  }
}

const main = async () => {
  const startedAt = Date.now()
  console.log(`recovery: ${MODES.length} modes in parallel, ttl ${TTL_SECONDS} s, fault ${FAULT_SECONDS} s, goal: fresh within ttl + 30 s = ${TTL_SECONDS + 30} s`)
  const results = await Promise.all(MODES.map(async (mode) => ({ mode, cells: await runMode(mode) })))
  const fmt = (cell: Cell) =>
    cell.freshSeconds === null
      ? cell.parked ? `parked (probe +${cell.plannedSeconds} s)` : `> ${BOUND_SECONDS} s`
      : cell.cleanSeconds === null
      ? `${cell.freshSeconds.toFixed(1)} s (source misconfigured until its probe)`
      : cell.cleanSeconds === cell.freshSeconds
      ? `${cell.freshSeconds.toFixed(1)} s`
      : `${cell.freshSeconds.toFixed(1)} s (clean ${cell.cleanSeconds.toFixed(1)} s)`
  const header = ["mode", ...MANUAL.map((m) => `${m} manual`)]
  const rows = results.map((r) => [r.mode, ...r.cells.map(fmt)])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")
  console.log(line(header))
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"))
  for (const row of rows) console.log(line(row))
  const transient = results.filter((r) => !["widget-disabled", "unknown-guild", "invalid-token"].includes(r.mode))
  const worst = Math.max(...transient.flatMap((r) => r.cells.map((c) => c.freshSeconds ?? Number.POSITIVE_INFINITY)))
  const misconfigured = results.filter((r) => ["widget-disabled", "unknown-guild", "invalid-token"].includes(r.mode))
  const worstClean = Math.max(...misconfigured.flatMap((r) => r.cells.map((c) => c.cleanSeconds ?? Number.POSITIVE_INFINITY)))
  console.log(`worst misconfiguration mode: fresh with no reason left ${worstClean} s after the fix (goal ≤ ${TTL_SECONDS + 30} s)`)
  console.log(`worst transient mode: fresh ${worst} s after the fault (goal ≤ ${TTL_SECONDS + 30} s); run took ${Math.round((Date.now() - startedAt) / 1000)} s`)
  mkdirSync("bench/results", { recursive: true })
  writeFileSync(
    "bench/results/recovery.json",
    JSON.stringify({
      ranAt: new Date().toISOString(),
      node: process.version,
      ttlSeconds: TTL_SECONDS,
      faultSeconds: FAULT_SECONDS,
      goalSeconds: TTL_SECONDS + 30,
      boundSeconds: BOUND_SECONDS,
      worstTransientFreshSeconds: worst,
      results
    }, null, 2) + "\n"
  )
  process.exit(worst <= TTL_SECONDS + 30 ? 0 : 1)
}

void main()
