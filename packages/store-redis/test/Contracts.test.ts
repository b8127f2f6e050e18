/**
 * Every port's contract suite, run against core's memory layer and the Redis layer — the same tests for both.
 * Each Redis test gets a key prefix of its own on one throw-away redis-server.
 */
import { Context, Effect, Layer } from "effect"
import { CircuitStore, EventLog, Lock, ProfileRepository, RateLimitStore, SecretVault, SnapshotStore } from "@guildpulse/core"
import {
  RedisCircuitStore,
  RedisConnection,
  RedisEventLog,
  RedisLock,
  RedisProfileRepository,
  RedisRateLimitStore,
  RedisSecretVault,
  RedisSnapshotStore
} from "../src/index.js"
import { describeCircuitStoreContract } from "./contracts/CircuitStoreContract.js"
import { describeEventLogContract } from "./contracts/EventLogContract.js"
import { describeLockContract } from "./contracts/LockContract.js"
import { describeProfileRepositoryContract } from "./contracts/ProfileRepositoryContract.js"
import { describeRateLimitStoreContract } from "./contracts/RateLimitStoreContract.js"
import { describeSecretVaultContract } from "./contracts/SecretVaultContract.js"
import { describeSnapshotStoreContract } from "./contracts/SnapshotStoreContract.js"
import { testMasterKeys } from "./fixtures/keys.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"

const server = useRedisServer()
const runPrefix = uniquePrefix("contract")
/** The Redis layer of a store, on a connection that must be up (so no test passes on the outage fallback). */
const redis = <A, E>(store: Layer.Layer<A, E, RedisConnection.RedisConnection>) => (namespace: string) =>
  store.pipe(
    Layer.provide(
      Layer.tap(RedisConnection.layer({ url: server().url, prefix: `${runPrefix}${namespace}:` }), (context) =>
        Context.get(context, RedisConnection.RedisConnection).isConnected() ? Effect.void : Effect.dieMessage("Redis is not connected")
      )
    )
  )

describeSnapshotStoreContract("memory", () => SnapshotStore.layerMemory, { shared: false })
describeSnapshotStoreContract("redis", redis(RedisSnapshotStore.layer), { shared: true })

describeProfileRepositoryContract("memory", () => ProfileRepository.layerMemory(), { shared: false })
describeProfileRepositoryContract("redis", redis(RedisProfileRepository.layer), { shared: true })

describeCircuitStoreContract("memory", () => CircuitStore.layerMemory)
describeCircuitStoreContract("redis", redis(RedisCircuitStore.layer))

// Memory stores read Effect's Clock: their expiries run on the TestClock. Redis keeps time on the server.
describeRateLimitStoreContract("memory", () => RateLimitStore.layerMemory, "test")
describeRateLimitStoreContract("redis", redis(RedisRateLimitStore.layer()), "live")

describeLockContract("memory", () => Lock.layerMemory, "test")
describeLockContract("redis", redis(RedisLock.layer), "live")

describeEventLogContract("memory", (_namespace, capacity) => EventLog.layerMemory(capacity))
describeEventLogContract("redis", (namespace, capacity) => redis(RedisEventLog.layer(capacity !== undefined ? { capacity } : {}))(namespace))

describeSecretVaultContract("memory", () => SecretVault.layerMemory())
describeSecretVaultContract("redis", redis(RedisSecretVault.layer(testMasterKeys)))
