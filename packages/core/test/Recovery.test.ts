/**
 * The recovery goal, under TestClock: for every failure mode of the sandbox and 0, 1 or 20 manual refreshes
 * during the fault, once the fault ends every profile is `fresh` again within `ttl + 30 s` with no operator
 * action (misconfigurations: within the hourly probe, or at once through the sources still usable).
 *
 * The source below imitates each sandbox mode with the errors the Discord connector turns it into. Freshness is
 * read from the snapshot store (never through `Stats.get`, which would itself revalidate): the scheduler alone
 * must bring the profile back.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Layer, Option, Random, TestClock } from "effect"
import { Engine, freshnessOf, RefreshScheduler, SnapshotStore, StatsSource, UpstreamError } from "../src/index.js"
import type { StatsFields, UpstreamSource } from "../src/index.js"
import { healthy, profile, profileKey } from "./fixtures.js"

const T0 = Date.UTC(2026, 10, 25, 12)
const TTL_SECONDS = 60
/** How long each fault lasts: one ttl. */
const FAULT_SECONDS = 60

type Mode =
  | "healthy" | "rate-limited" | "global-rate-limit" | "outage" | "slow" | "timeout" | "malformed" | "flapping"
  | "connection-reset" | "widget-disabled" | "unknown-guild" | "invalid-token"

type Failure = Omit<ConstructorParameters<typeof UpstreamError>[0], "source">

/** What the connector makes of each sandbox mode, per source (undefined: the source answers). */
const failureOf = (mode: Mode, source: UpstreamSource, call: number): Failure | "slow" | "hang" | undefined => {
  switch (mode) {
    case "healthy":
      return undefined
    case "rate-limited":
      return { reason: "rate_limited", status: 429, retryAfterMs: 5_000, scope: "user", message: "You are being rate limited." }
    case "global-rate-limit":
      return { reason: "rate_limited", status: 429, retryAfterMs: 5_000, global: true, scope: "global", message: "You are being rate limited." }
    case "outage":
      return { reason: "server_error", status: 503, message: "Service Unavailable" }
    case "slow":
      return "slow"
    case "timeout":
      return "hang"
    case "malformed":
      return { reason: "decode", status: 200, message: "invalid JSON" }
    case "flapping":
      return call % 2 === 0 ? { reason: "server_error", status: 503, message: "Service Unavailable" } : undefined
    case "connection-reset":
      return { reason: "transport", message: "socket hang up (ECONNRESET)" }
    case "widget-disabled":
      return source === "widget" ? { reason: "widget_disabled", status: 403, discordCode: 50004, message: "Widget Disabled" } : undefined
    case "unknown-guild":
      return source === "invite"
        ? { reason: "unknown_invite", status: 404, discordCode: 10006, message: "Unknown Invite" }
        : { reason: "unknown_guild", status: 404, discordCode: 10004, message: "Unknown Guild" }
    case "invalid-token":
      return source === "bot" ? { reason: "unauthorized", status: 401, message: "401: Unauthorized" } : undefined
  }
}

const modeSource = (state: { mode: Mode }) => {
  const calls: Record<UpstreamSource, number> = { widget: 0, bot: 0, invite: 0 }
  return StatsSource.layerFunction((request) =>
    Effect.gen(function* () {
      calls[request.source] += 1
      const failure = failureOf(state.mode, request.source, calls[request.source])
      if (failure === "slow") yield* Effect.sleep(Duration.seconds(2))
      if (failure === "hang") return yield* Effect.never
      if (failure !== undefined && failure !== "slow") return yield* new UpstreamError({ ...failure, source: request.source })
      const behaviour = healthy[request.source]
      return behaviour._tag === "ok" ? behaviour.fields : ({} as StatsFields)
    })
  )
}

const transient: ReadonlyArray<Mode> = ["healthy", "rate-limited", "global-rate-limit", "outage", "slow", "timeout", "malformed", "flapping", "connection-reset"]

interface Recovery {
  /** Seconds after the fault ended until the view was `fresh`. */
  readonly fresh: number
  /** … and until no source reported trouble any more (`reasons` empty). */
  readonly clean: number
}

/** Reads freshness from the snapshot store every `stepSeconds` after the fault ends, up to `boundSeconds`. */
const measure = (boundSeconds: number, stepSeconds: number) =>
  Effect.gen(function* () {
    const snapshots = yield* SnapshotStore.SnapshotStore
    const p = profile({ refresh: { ttlSeconds: TTL_SECONDS, maxStaleSeconds: 604_800 } })
    let fresh = Number.POSITIVE_INFINITY
    for (let second = 0; second <= boundSeconds; second += stepSeconds) {
      const snapshot = yield* snapshots.get(profileKey("main"))
      const now = yield* Clock.currentTimeMillis
      if (Option.isSome(snapshot) && freshnessOf(snapshot.value, p, now).state === "fresh") {
        fresh = Math.min(fresh, second)
        if (snapshot.value.reasons.length === 0) return { fresh, clean: second } satisfies Recovery
      }
      yield* TestClock.adjust(Duration.seconds(stepSeconds))
    }
    if (process.env["RECOVERY_DEBUG"] !== undefined) {
      const { EventLog } = yield* Effect.promise(() => import("../src/index.js"))
      const page = yield* (yield* EventLog.EventLog).query({ limit: 200 })
      for (const e of [...page.events].reverse()) if (e.type.startsWith("refresh") || e.type.startsWith("circuit") || e.type.startsWith("sched")) console.log(((Date.parse(e.ts) - T0) / 1000).toFixed(1), e.type, e.source ?? "", e.message)
      console.log(JSON.stringify(yield* snapshots.get(profileKey("main"))))
    }
    return { fresh, clean: Number.POSITIVE_INFINITY } satisfies Recovery
  })

const run = (mode: Mode, manualRefreshes: number, boundSeconds: number, stepSeconds = 1) =>
  Effect.gen(function* () {
    const state = { mode: "healthy" as Mode }
    const layer = Engine.layerMemory({
      profiles: [profile({ refresh: { ttlSeconds: TTL_SECONDS, maxStaleSeconds: 604_800 } })],
      tokens: { main: "sandbox-token" },
      scheduler: {}
    }).pipe(Layer.provideMerge(modeSource(state)))
    return yield* Effect.gen(function* () {
      const scheduler = yield* RefreshScheduler.RefreshScheduler
      // Warm up: a few healthy rounds, then the fault starts between two scheduled rounds.
      yield* TestClock.adjust("0 millis")
      yield* TestClock.adjust("150 seconds")
      state.mode = mode
      const spacingMs = (FAULT_SECONDS * 1000) / (manualRefreshes + 1)
      let elapsedMs = 0
      for (let i = 0; i < manualRefreshes; i++) {
        yield* TestClock.adjust(Duration.millis(spacingMs))
        elapsedMs += spacingMs
        yield* scheduler.trigger(profileKey("main"))
        yield* TestClock.adjust("0 millis")
      }
      yield* TestClock.adjust(Duration.millis(FAULT_SECONDS * 1000 - elapsedMs))
      state.mode = "healthy"
      const recovery = yield* measure(boundSeconds, stepSeconds)
      const status = yield* scheduler.status
      return { ...recovery, deadLetters: status.deadLetters }
    }).pipe(Effect.provide(layer))
  }).pipe((body) => Effect.zipRight(TestClock.setTime(T0), body))

/**
 * The backoff and probe jitter come from Effect's `Random`: each case runs with these fixed seeds (seed 12 once
 * put a misconfigured probe 1.5 s after a round, so the fix showed a whole ttl later), so a run is reproducible.
 */
const SEEDS = [0, 12, 41] as const

/** The slowest recovery over the seeds. */
const runSeeded = (mode: Mode, manualRefreshes: number, boundSeconds: number) =>
  Effect.gen(function* () {
    let worst: Recovery & { readonly deadLetters: ReadonlyArray<unknown> } = { fresh: 0, clean: 0, deadLetters: [] }
    for (const seed of SEEDS) {
      const r = yield* run(mode, manualRefreshes, boundSeconds).pipe(Effect.withRandom(Random.make(seed)))
      worst = { fresh: Math.max(worst.fresh, r.fresh), clean: Math.max(worst.clean, r.clean), deadLetters: [...worst.deadLetters, ...r.deadLetters] }
    }
    return worst
  })

describe("recovery after a fault (ttl 60 s, fault 60 s)", () => {
  for (const mode of transient) {
    for (const manual of [0, 1, 20]) {
      it.effect(`${mode}, ${manual} manual refreshes → fresh within ttl + 30 s, nothing parked`, () =>
        Effect.gen(function* () {
          const { clean, deadLetters } = yield* runSeeded(mode, manual, TTL_SECONDS + 30)
          assert.isAtMost(clean, TTL_SECONDS + 30, `${mode} × ${manual}: fresh after ${clean} s`)
          assert.deepStrictEqual(deadLetters, [])
        }), 60_000)
    }
  }

  // Widget off or bot token refused: the sources still usable keep the profile fresh, and the misconfigured one
  // is probed 30 s after it was seen, then at a doubling interval — so its reason clears soon after the fix.
  for (const mode of ["widget-disabled", "invalid-token"] as const) {
    for (const manual of [0, 1, 20]) {
      it.effect(`${mode}, ${manual} manual refreshes → fresh and clear within ttl + 30 s, nothing parked`, () =>
        Effect.gen(function* () {
          const { clean, deadLetters, fresh } = yield* runSeeded(mode, manual, TTL_SECONDS + 30)
          assert.isAtMost(fresh, TTL_SECONDS + 30, `${mode} × ${manual}: fresh after ${fresh} s`)
          assert.isAtMost(clean, TTL_SECONDS + 30, `${mode} × ${manual}: clean after ${clean} s`)
          assert.deepStrictEqual(deadLetters, [])
        }), 60_000)
    }
  }

  // Unknown guild: every source misconfigured — parked during the fault, probed 30 s after, then at a doubling
  // interval, so it is fresh again within ttl + 30 s of the fix.
  for (const manual of [0, 1, 20]) {
    it.effect(`unknown-guild, ${manual} manual refreshes → parked during the fault, fresh within ttl + 30 s of the fix`, () =>
      Effect.gen(function* () {
        const { clean } = yield* runSeeded("unknown-guild", manual, TTL_SECONDS + 30)
        assert.isAtMost(clean, TTL_SECONDS + 30, `unknown-guild × ${manual}: fresh after ${clean} s`)
      }), 60_000)
  }
})
