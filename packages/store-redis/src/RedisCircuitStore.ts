/**
 * `CircuitStore` on Redis, shared by every instance: one hash per circuit (`<prefix>circuit:<key>` with the
 * state as JSON in `s` and a version in `v`). `modify` is optimistic: read state and version, apply the pure
 * function, write with a Lua compare-and-set on the version; on a conflict the script returns the current
 * state and the function is applied again (it is pure, so re-running it is safe).
 *
 * While Redis is unreachable the breaker keeps protecting Discord with an in-process store (core's memory
 * layer); that local state is discarded when Redis returns, where the shared state is authoritative.
 */
import { Context, Duration, Effect, Either, Layer, Option, Random, Schema, Scope } from "effect"
import { CircuitBreakerPolicy, CircuitStore, StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/codec.js"
import * as Lua from "./internal/lua.js"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"

const STORE = "circuits"
/** Attempts of one `modify` under contention before giving up with `StoreError("timeout")`. */
export const MAX_CAS_ATTEMPTS = 100

type CircuitState = CircuitBreakerPolicy.CircuitState

const codec = jsonCodec(CircuitBreakerPolicy.CircuitState, STORE)
const CasReply = Schema.Union(Schema.Tuple(Schema.Literal(1)), Schema.Tuple(Schema.Literal(0), Schema.String, Schema.Number))
const decodeCasReply = Schema.decodeUnknownEither(CasReply)
const ReadReply = Schema.Tuple(Schema.NullOr(Schema.String), Schema.NullOr(Schema.String))
const decodeReadReply = Schema.decodeUnknownEither(ReadReply)

const badReply = (reply: unknown) =>
  new StoreError({ reason: "corrupt", store: STORE, message: `unexpected reply from Redis: ${JSON.stringify(reply)}` })

export const make: Effect.Effect<Context.Tag.Service<CircuitStore.CircuitStore>, never, RedisConnection | Scope.Scope> = Effect.gen(function* () {
  const connection = yield* RedisConnection
  const { keys } = connection
  const local = yield* CircuitStore.makeMemory

  const decodeState = (json: string | null | ""): Either.Either<Option.Option<CircuitState>, StoreError> =>
    json === null || json === "" ? Either.right(Option.none()) : Either.map(codec.decode(json), Option.some)

  const read = (key: string) =>
    Effect.flatMap(
      connection.run(STORE, (client) => client.hmget(keys.circuit(key), "s", "v")),
      (reply) => {
        const decoded = decodeReadReply(reply)
        if (Either.isLeft(decoded)) return Effect.fail(badReply(reply))
        const [json, version] = decoded.right
        return Effect.map(decodeState(json), (state) => ({ state, version: version === null ? 0 : Number(version) }))
      }
    )

  const get = (key: CircuitStore.CircuitStoreKey) => read(key).pipe(
    Effect.map((r) => r.state),
    Effect.catchIf(isOutage, () => local.get(key))
  )

  const modifyShared = <A>(key: string, f: (current: Option.Option<CircuitState>) => readonly [A, CircuitState]) =>
    Effect.gen(function* () {
      let { state, version } = yield* read(key)
      for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
        const [result, next] = f(state)
        const json = yield* codec.encode(next)
        const reply = yield* connection.run(STORE, (client) =>
          evalScript(client, Lua.circuitCas, [keys.circuit(key), keys.circuitIndex], [version, json, key])
        )
        const decoded = decodeCasReply(reply)
        if (Either.isLeft(decoded)) return yield* badReply(reply)
        if (decoded.right[0] === 1) return result
        state = yield* decodeState(decoded.right[1])
        version = decoded.right[2]
        // Lost a race: let the winner's followers through before trying again.
        if (attempt % 5 === 0) yield* Effect.sleep(Duration.millis(yield* Random.nextIntBetween(1, 5 + attempt)))
      }
      return yield* new StoreError({ reason: "timeout", store: STORE, message: `circuit '${key}' too contended: ${MAX_CAS_ATTEMPTS} attempts` })
    })

  const modify = <A>(key: CircuitStore.CircuitStoreKey, f: (current: Option.Option<CircuitState>) => readonly [A, CircuitState]): Effect.Effect<A, StoreError> =>
    modifyShared(key, f).pipe(Effect.catchIf(isOutage, () => local.modify(key, f)))

  const del = (keyPrefix: CircuitStore.CircuitStorePrefix): Effect.Effect<void, StoreError> =>
    Effect.gen(function* () {
      yield* local.delete(keyPrefix)
      const all = yield* connection.run(STORE, (client) => client.smembers(keys.circuitIndex))
      const matching = all.filter((key) => key.startsWith(keyPrefix))
      if (matching.length === 0) return
      yield* connection.run(STORE, (client) =>
        client.multi().del(...matching.map(keys.circuit)).srem(keys.circuitIndex, ...matching).exec()
      )
    })

  return CircuitStore.CircuitStore.of({ get, modify, delete: del })
})

export const layer: Layer.Layer<CircuitStore.CircuitStore, never, RedisConnection> = Layer.scoped(CircuitStore.CircuitStore, make)
