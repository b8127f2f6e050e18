/**
 * The shared Redis connection of every store in this package, and the state machine that keeps the service
 * up while Redis is not:
 *
 * - commands fail fast while disconnected (no offline queue, no retries, a per-command timeout), so a store
 *   can fall back to its in-process copy at once instead of making callers wait;
 * - `connected` flips to true only after a reconnection is reconciled: the dataset's epoch is checked (a
 *   changed or missing epoch means Redis lost its data) and every registered hook has run (write-back of
 *   snapshots kept during the outage, flush of buffered events, re-seeding after data loss);
 * - a second connection listens to cache invalidations published by other instances.
 *
 * Every state change is observable (`subscribe`), which `RedisHealth` turns into one event per transition.
 */
import { randomUUID } from "node:crypto"
import { Clock, Config, ConfigError, Context, Duration, Effect, FiberHandle, Layer, Queue, Redacted, Runtime, Schedule, Scope, Stream } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { StoreError } from "@guildpulse/core"
import { DEFAULT_PREFIX, makeKeys, type Keys } from "./internal/keys.js"
import type { LuaScript } from "./internal/lua.js"

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). A `Redacted` keeps a password out of logs. */
  readonly url: string | Redacted.Redacted<string>
  /** Prefix of every key (default `gp:`), so several deployments can share one Redis. */
  readonly prefix?: string
  /** A command that takes longer fails (and the store falls back). Default 1000 ms. */
  readonly commandTimeoutMs?: number
  /** How long the layer waits for the first connection before starting not ready. Default 5000 ms. */
  readonly connectTimeoutMs?: number
  /** Read-through cache of snapshots and profiles, invalidated by pub/sub; 0 disables it. Default 1000 ms. */
  readonly localCacheTtlMs?: number
  /** After Redis comes back empty, write back what this instance still knows (profiles, snapshots, tokens). Default true. */
  readonly reseedAfterDataLoss?: boolean
  /** `CLIENT SETNAME` of the connections (visible in `CLIENT LIST`). */
  readonly connectionName?: string
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000
export const DEFAULT_LOCAL_CACHE_TTL_MS = 1000

export interface ConnectionState {
  readonly connected: boolean
  /** When the current state began (epoch ms). */
  readonly sinceMs: number
  /** The latest connection error while disconnected (no secrets: ioredis messages carry host and port only). */
  readonly lastError: string | undefined
}

export interface ReconnectInfo {
  /** The first connection of this process. */
  readonly first: boolean
  /** Redis came back without the dataset this process knew (restart without persistence, flush). */
  readonly dataLost: boolean
}

export type ReconnectHook = (info: ReconnectInfo) => Effect.Effect<void, StoreError>
export type InvalidationKind = "snapshot" | "profile"

export interface RedisConnectionService {
  readonly client: Redis
  readonly url: Redacted.Redacted<string>
  readonly keys: Keys
  /** Random per process: tells this instance's own invalidations apart. */
  readonly instanceId: string
  readonly localCacheTtlMs: number
  readonly reseedAfterDataLoss: boolean
  readonly isConnected: () => boolean
  readonly state: Effect.Effect<ConnectionState>
  /** Calls `listener` on every change of state until the scope closes. */
  readonly subscribe: (listener: (state: ConnectionState) => void) => Effect.Effect<void, never, Scope.Scope>
  /** Runs a command; fails at once with `StoreError("unavailable")` while disconnected. */
  readonly run: <A>(store: string, f: (client: Redis) => Promise<A>) => Effect.Effect<A, StoreError>
  /** Same without the connected check: for reconnect hooks, which run before the state flips to connected. */
  readonly runDirect: <A>(store: string, f: (client: Redis) => Promise<A>) => Effect.Effect<A, StoreError>
  /** Registers a hook run (in registration order) on every reconnection, before `connected` turns true. */
  readonly onReconnect: (hook: ReconnectHook) => Effect.Effect<void, never, Scope.Scope>
  /** The pub/sub message announcing a change of `key`, to publish from a write script. */
  readonly invalidation: (kind: InvalidationKind, key: string) => string
  /** Calls `handler` for changes announced by other instances. */
  readonly onInvalidation: (handler: (kind: InvalidationKind, key: string) => void) => Effect.Effect<void, never, Scope.Scope>
  /** Calls `handler` when announcements may have been missed (a reconnection): caches must revalidate. */
  readonly onResync: (handler: () => void) => Effect.Effect<void, never, Scope.Scope>
}

export class RedisConnection extends Context.Tag("@guildpulse/store-redis/RedisConnection")<
  RedisConnection,
  RedisConnectionService
>() {}

const connectionErrorPattern = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|Stream isn't writeable|max retries|MaxRetriesPerRequest|LOADING|connect/i

/** Maps an ioredis failure to a `StoreError`: connection trouble is `unavailable`, a slow answer `timeout`. */
export const toStoreError = (store: string, error: unknown): StoreError => {
  const message = error instanceof Error ? error.message : String(error)
  if (/Command timed out/i.test(message)) return new StoreError({ reason: "timeout", store, message, cause: error })
  if (connectionErrorPattern.test(message)) return new StoreError({ reason: "unavailable", store, message, cause: error })
  // A reply error (WRONGTYPE, a failing script…) means the data is not what the store expects.
  if (error instanceof Error && error.name === "ReplyError") return new StoreError({ reason: "corrupt", store, message, cause: error })
  return new StoreError({ reason: "unavailable", store, message, cause: error })
}

/** True for the failures a store answers from its in-process copy. */
export const isOutage = (error: StoreError): boolean => error.reason === "unavailable" || error.reason === "timeout"

/** EVALSHA, falling back to EVAL when the server does not have the script cached (fresh or restarted Redis). */
export const evalScript = (
  client: Redis,
  script: LuaScript,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number>
): Promise<unknown> =>
  client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
      return client.eval(script.source, keys.length, ...keys, ...args)
    }
    throw error
  })

const clientOptions = (options: RedisConnectionOptions, role: string): RedisOptions => ({
  lazyConnect: true,
  // Fail fast while disconnected: the stores answer from their in-process copies instead of queueing.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
  connectTimeout: 2000,
  enableAutoPipelining: true,
  retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  ...(options.connectionName !== undefined ? { connectionName: `${options.connectionName}:${role}` } : {})
})

const urlOf = (url: string | Redacted.Redacted<string>): Redacted.Redacted<string> =>
  typeof url === "string" ? Redacted.make(url) : url

export const make = (options: RedisConnectionOptions): Effect.Effect<RedisConnectionService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const clock = yield* Effect.clock
    const url = urlOf(options.url)
    const keys = makeKeys(options.prefix ?? DEFAULT_PREFIX)
    const instanceId = randomUUID()
    const client = new Redis(Redacted.value(url), clientOptions(options, "cmd"))
    const subscriber = new Redis(Redacted.value(url), { ...clientOptions(options, "sub"), enableOfflineQueue: true, commandTimeout: undefined })

    let state: ConnectionState = { connected: false, sinceMs: clock.unsafeCurrentTimeMillis(), lastError: undefined }
    let closing = false
    let knownEpoch: string | undefined
    const listeners = new Set<(state: ConnectionState) => void>()
    const hooks: Array<ReconnectHook> = []
    const invalidationHandlers = new Set<(kind: InvalidationKind, key: string) => void>()
    const resyncHandlers = new Set<() => void>()

    const setState = (connected: boolean, lastError?: string) => {
      if (closing) return
      if (state.connected === connected) {
        if (lastError !== undefined && !connected) state = { ...state, lastError }
        return
      }
      state = { connected, sinceMs: clock.unsafeCurrentTimeMillis(), lastError: connected ? undefined : lastError ?? state.lastError }
      for (const listener of listeners) listener(state)
    }

    const runDirect = <A>(store: string, f: (client: Redis) => Promise<A>): Effect.Effect<A, StoreError> =>
      Effect.tryPromise({ try: () => f(client), catch: (error) => toStoreError(store, error) })

    const run = <A>(store: string, f: (client: Redis) => Promise<A>): Effect.Effect<A, StoreError> =>
      state.connected
        ? runDirect(store, f)
        : Effect.fail(new StoreError({ reason: "unavailable", store, message: "Redis is not connected" }))

    const resync = () => {
      for (const handler of resyncHandlers) handler()
    }

    /** After (re)connecting: detect data loss, run the hooks, then declare the connection usable. */
    const reconcile = Effect.gen(function* () {
      let epoch = yield* runDirect("connection", (c) => c.get(keys.epoch))
      if (epoch === null) {
        yield* runDirect("connection", (c) => c.set(keys.epoch, randomUUID(), "NX"))
        epoch = yield* runDirect("connection", (c) => c.get(keys.epoch))
      }
      const info: ReconnectInfo = { first: knownEpoch === undefined, dataLost: knownEpoch !== undefined && epoch !== knownEpoch }
      resync()
      for (const hook of hooks) yield* hook(info)
      knownEpoch = epoch ?? undefined
      if (client.status === "ready") {
        lastErrorSeen = undefined
        setState(true)
      }
    }).pipe(
      Effect.retry(Schedule.spaced(Duration.millis(250)).pipe(Schedule.whileInput(() => client.status === "ready"))),
      Effect.catchAll((error) => Effect.logWarning(`Redis reconnection not reconciled yet: ${error.message}`))
    )

    const reconciler = yield* FiberHandle.make<void, never>()
    const runFork = Runtime.runFork(runtime)

    client.on("ready", () => void runFork(FiberHandle.run(reconciler, reconcile)))
    let lastErrorSeen: string | undefined
    client.on("close", () => {
      runFork(FiberHandle.clear(reconciler))
      setState(false, lastErrorSeen)
    })
    // Without a listener ioredis prints every failed reconnection; the state machine reports transitions instead.
    // An error alone does not mean the connection is gone ('close' says that): it only explains a disconnection.
    client.on("error", (error: Error) => {
      lastErrorSeen = error.message
      if (!state.connected) setState(false, error.message)
    })
    subscriber.on("error", () => undefined)
    subscriber.on("ready", () => {
      // Subscribing on every connection also covers a first connection that failed (nothing to auto-resubscribe).
      subscriber.subscribe(keys.invalidations).catch(() => undefined)
      resync()
    })
    subscriber.on("message", (_channel: string, message: string) => {
      const [origin, kind, key] = message.split("|", 3)
      if (origin === instanceId || key === undefined || (kind !== "snapshot" && kind !== "profile")) return
      for (const handler of invalidationHandlers) handler(kind, key)
    })

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        closing = true
        await Promise.allSettled([
          client.quit().catch(() => client.disconnect()),
          subscriber.quit().catch(() => subscriber.disconnect())
        ])
        client.disconnect()
        subscriber.disconnect()
      })
    )

    client.connect().catch(() => undefined)
    subscriber.connect().catch(() => undefined)

    // Wait (bounded) for the first connection; past that, start not ready and keep reconnecting.
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    // On the real clock: the socket connects in real time, whatever clock the layer is built under (a layer
    // built under a TestClock that nobody advances would otherwise wait forever).
    const live = Clock.make()
    const deadline = live.unsafeCurrentTimeMillis() + connectTimeoutMs
    while (!state.connected && live.unsafeCurrentTimeMillis() < deadline) yield* Effect.withClock(Effect.sleep(Duration.millis(10)), live)
    if (!state.connected) {
      yield* Effect.logWarning(`Redis not reachable after ${connectTimeoutMs} ms; starting not ready and retrying in the background`)
    }

    const addTo = <T>(set: Set<T>, item: T) =>
      Effect.acquireRelease(Effect.sync(() => void set.add(item)), () => Effect.sync(() => void set.delete(item)))

    return {
      client,
      url,
      keys,
      instanceId,
      localCacheTtlMs: options.localCacheTtlMs ?? DEFAULT_LOCAL_CACHE_TTL_MS,
      reseedAfterDataLoss: options.reseedAfterDataLoss ?? true,
      isConnected: () => state.connected,
      state: Effect.sync(() => state),
      subscribe: (listener) => addTo(listeners, listener),
      run,
      runDirect,
      onReconnect: (hook) =>
        Effect.acquireRelease(Effect.sync(() => void hooks.push(hook)), () =>
          Effect.sync(() => {
            const index = hooks.indexOf(hook)
            if (index >= 0) hooks.splice(index, 1)
          })),
      invalidation: (kind, key) => `${instanceId}|${kind}|${key}`,
      onInvalidation: (handler) => addTo(invalidationHandlers, handler),
      onResync: (handler) => addTo(resyncHandlers, handler)
    } satisfies RedisConnectionService
  })

/** A stream of connection states: the current one, then every change. */
export const changes = (connection: RedisConnectionService): Stream.Stream<ConnectionState> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const queue = yield* Effect.acquireRelease(Queue.unbounded<ConnectionState>(), Queue.shutdown)
      yield* connection.subscribe((state) => void queue.unsafeOffer(state))
      const current = yield* connection.state
      return Stream.concat(Stream.succeed(current), Stream.fromQueue(queue))
    })
  )

export const layer = (options: RedisConnectionOptions): Layer.Layer<RedisConnection> => Layer.scoped(RedisConnection, make(options))

/**
 * The environment: `REDIS_URL` (redacted) and `GUILDPULSE_REDIS_PREFIX` (default `gp:`), one `Config` per option,
 * so a caller can spread it and replace or add options (`{ ...fromEnv, commandTimeoutMs: Config.succeed(500) }`).
 */
export const fromEnv = {
  url: Config.redacted("REDIS_URL"),
  prefix: Config.string("GUILDPULSE_REDIS_PREFIX").pipe(Config.withDefault(DEFAULT_PREFIX))
} satisfies Config.Config.Wrap<RedisConnectionOptions>

/** `fromEnv` as one `Config`. */
export const config: Config.Config<RedisConnectionOptions> = Config.all(fromEnv)

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (`{ url: Config.redacted("MY_REDIS"), prefix: Config.succeed("app:") }`, a `Config.Config.Wrap`);
 * the environment (`fromEnv`) by default.
 */
export const layerConfig = (
  config: Config.Config.Wrap<RedisConnectionOptions> = fromEnv
): Layer.Layer<RedisConnection, ConfigError.ConfigError> =>
  Layer.scoped(RedisConnection, Effect.flatMap(Config.unwrap<RedisConnectionOptions>(config), make))
