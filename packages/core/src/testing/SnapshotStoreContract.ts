/** The behaviour every `SnapshotStore` shares, run against core's memory layer and the Redis layer. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { SnapshotStore } from "../index.js"
import { snapshotFixture, profileKey } from "./fixtures.js"

export interface ContractOptions {
  /** Two layers made with the same argument see the same data (a persistent, shared store). */
  readonly shared: boolean
}

export const describeSnapshotStoreContract = (
  name: string,
  makeLayer: (namespace: string) => Layer.Layer<SnapshotStore.SnapshotStore, unknown>,
  options: ContractOptions
) =>
  describe(`SnapshotStore contract: ${name}`, () => {
    let seq = 0
    const fresh = () => makeLayer(`snap${++seq}`)

    it.live("is empty at first", () =>
      Effect.gen(function* () {
        const store = yield* SnapshotStore.SnapshotStore
        assert.isTrue(Option.isNone(yield* store.get(profileKey("main"))))
      }).pipe(Effect.provide(fresh())))

    it.live("round-trips a snapshot with every optional field, per profile", () =>
      Effect.gen(function* () {
        const store = yield* SnapshotStore.SnapshotStore
        const a = snapshotFixture("a")
        const b = { ...snapshotFixture("b"), fields: { members: 9 }, provenance: {}, sources: [], reasons: [] }
        yield* store.put(a)
        yield* store.put(b)
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(profileKey("a"))), a)
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(profileKey("b"))), b)
      }).pipe(Effect.provide(fresh())))

    it.live("put replaces, delete removes (and deleting nothing is fine)", () =>
      Effect.gen(function* () {
        const store = yield* SnapshotStore.SnapshotStore
        yield* store.put(snapshotFixture("main", 1000))
        const newer = snapshotFixture("main", 2000)
        yield* store.put(newer)
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(profileKey("main"))), newer)
        yield* store.delete(profileKey("main"))
        assert.isTrue(Option.isNone(yield* store.get(profileKey("main"))))
        yield* store.delete(profileKey("never-existed"))
      }).pipe(Effect.provide(fresh())))

    it.live("fencing: a put with a lower token than one accepted is refused and changes nothing", () =>
      Effect.gen(function* () {
        const store = yield* SnapshotStore.SnapshotStore
        const newer = snapshotFixture("main", 2000)
        assert.strictEqual(yield* store.put(newer, { fencing: 5 }), "stored")
        assert.strictEqual(yield* store.put(snapshotFixture("main", 1000), { fencing: 4 }), "fenced")
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(profileKey("main"))), newer)
        // The same token again (one holder, several puts) and a higher one are accepted.
        const again = snapshotFixture("main", 3000)
        assert.strictEqual(yield* store.put(again, { fencing: 5 }), "stored")
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(profileKey("main"))), again)
        const latest = snapshotFixture("main", 4000)
        assert.strictEqual(yield* store.put(latest, { fencing: 9 }), "stored")
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(profileKey("main"))), latest)
        // Tokens are per profile.
        assert.strictEqual(yield* store.put(snapshotFixture("other"), { fencing: 1 }), "stored")
      }).pipe(Effect.provide(fresh())))

    it.live("fencing: a put without a token is unconditional; delete keeps the token", () =>
      Effect.gen(function* () {
        const store = yield* SnapshotStore.SnapshotStore
        yield* store.put(snapshotFixture("main", 2000), { fencing: 7 })
        const imported = snapshotFixture("main", 1000)
        assert.strictEqual(yield* store.put(imported), "stored")
        assert.deepStrictEqual(Option.getOrThrow(yield* store.get(profileKey("main"))), imported)
        yield* store.delete(profileKey("main"))
        assert.strictEqual(yield* store.put(snapshotFixture("main", 3000), { fencing: 6 }), "fenced")
        assert.isTrue(Option.isNone(yield* store.get(profileKey("main"))))
        assert.strictEqual(yield* store.put(snapshotFixture("main", 3000), { fencing: 8 }), "stored")
      }).pipe(Effect.provide(fresh())))

    if (options.shared) {
      it.live("survives a restart: a new instance reads what the previous one wrote", () =>
        Effect.gen(function* () {
          const namespace = `snap-restart${++seq}`
          const snapshot = snapshotFixture("main")
          yield* Effect.provide(Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.put(snapshot)), makeLayer(namespace))
          const read = yield* Effect.provide(Effect.flatMap(SnapshotStore.SnapshotStore, (s) => s.get(profileKey("main"))), makeLayer(namespace))
          assert.deepStrictEqual(Option.getOrThrow(read), snapshot)
        }))
    }
  })
