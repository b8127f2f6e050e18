/** The behaviour every `EventLog` shares: newest first, filters, cursor pages, capacity keeps the newest. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { EventLog } from "../index.js"
import type { GuildPulseEvent } from "../index.js"
import { profileKey } from "./fixtures.js"

export const describeEventLogContract = (
  name: string,
  makeLayer: (namespace: string, capacity?: number) => Layer.Layer<EventLog.EventLog, unknown>
) =>
  describe(`EventLog contract: ${name}`, () => {
    let seq = 0
    const base = Date.now() - 100_000
    const ts = (i: number) => new Date(base + i * 1000).toISOString()
    const emitTwelve = Effect.gen(function* () {
      const log = yield* EventLog.EventLog
      for (let i = 0; i < 12; i++) {
        yield* log.emit({
          ts: ts(i),
          level: i % 2 === 0 ? "info" : "warn",
          type: i % 3 === 0 ? "refresh.failed" : "refresh.succeeded",
          profile: i < 6 ? "a" : "b",
          message: `e${i}`
        })
      }
      return log
    })
    const messages = (events: ReadonlyArray<GuildPulseEvent>) => events.map((e) => e.message)

    it.live("answers newest first, filtered by profile, type prefix, level and time", () =>
      Effect.gen(function* () {
        const log = yield* emitTwelve
        assert.deepStrictEqual(messages((yield* log.query({ profile: profileKey("a") })).events), ["e5", "e4", "e3", "e2", "e1", "e0"])
        assert.deepStrictEqual(messages((yield* log.query({ profile: [profileKey("b"), profileKey("a")], limit: 3 })).events), ["e11", "e10", "e9"])
        assert.deepStrictEqual(messages((yield* log.query({ type: "refresh.failed" })).events), ["e9", "e6", "e3", "e0"])
        assert.strictEqual((yield* log.query({ type: "refresh" })).events.length, 12, "type matches as a prefix")
        assert.strictEqual((yield* log.query({ type: "refre" })).events.length, 0, "but only on a dot boundary")
        assert.isTrue((yield* log.query({ level: "warn" })).events.every((e) => e.level === "warn"))
        assert.deepStrictEqual(messages((yield* log.query({ sinceMs: base + 10_000 })).events), ["e11", "e10"])
        assert.deepStrictEqual(messages((yield* log.query({ untilMs: base + 1000 })).events), ["e1", "e0"])
        assert.deepStrictEqual(messages((yield* log.query({ profile: profileKey("b"), level: "warn", sinceMs: base + 7000 })).events), ["e11", "e9", "e7"])
        const one = (yield* log.query({ limit: 1 })).events[0]!
        assert.isString(one.id)
        assert.strictEqual(one.ts, ts(11))
      }).pipe(Effect.provide(makeLayer(`ev${++seq}`))))

    it.live("pages with a cursor, without gaps or duplicates", () =>
      Effect.gen(function* () {
        const log = yield* emitTwelve
        const seen: Array<string> = []
        let cursor: string | undefined
        for (let page = 0; page < 10; page++) {
          const result: EventLog.EventPage = yield* log.query({ limit: 5, ...(cursor !== undefined ? { cursor } : {}) })
          seen.push(...messages(result.events))
          if (Option.isNone(result.nextCursor)) break
          cursor = result.nextCursor.value
        }
        assert.deepStrictEqual(seen, Array.from({ length: 12 }, (_, i) => `e${11 - i}`))
        const filtered: Array<string> = []
        cursor = undefined
        for (let page = 0; page < 10; page++) {
          const result: EventLog.EventPage = yield* log.query({ profile: profileKey("a"), limit: 4, ...(cursor !== undefined ? { cursor } : {}) })
          filtered.push(...messages(result.events))
          if (Option.isNone(result.nextCursor)) break
          cursor = result.nextCursor.value
        }
        assert.deepStrictEqual(filtered, ["e5", "e4", "e3", "e2", "e1", "e0"])
      }).pipe(Effect.provide(makeLayer(`ev${++seq}`))))

    it.live("keeps at least the newest `capacity` events", () =>
      Effect.gen(function* () {
        const log = yield* emitTwelve
        const all = messages((yield* log.query({ limit: 100 })).events)
        assert.deepStrictEqual(all.slice(0, 10), Array.from({ length: 10 }, (_, i) => `e${11 - i}`))
        assert.isAtMost(all.length, 12)
      }).pipe(Effect.provide(makeLayer(`ev${++seq}`, 10))))
  })
