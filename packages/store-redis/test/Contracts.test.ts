/**
 * Every port's contract suite, from `@guildpulse/core/testing`, run against the Redis layers (core runs them on
 * its memory layers) — the same tests for every store.
 * Each Redis test gets a key prefix of its own on one throw-away redis-server.
 */
import { Context, Effect, Layer } from "effect"
import {
  RedisAnalyticsStore,
  RedisApiKeyRepository,
  RedisAuditLog,
  RedisCircuitStore,
  RedisConnection,
  RedisEventLog,
  RedisLock,
  RedisProfileRepository,
  RedisRateLimitStore,
  RedisSecretVault,
  RedisSnapshotStore
} from "../src/index.js"
import {
  describeAnalyticsStoreContract,
  describeApiKeyRepositoryContract,
  describeAuditLogContract,
  describeCircuitStoreContract,
  describeEventLogContract,
  describeLockContract,
  describeProfileRepositoryContract,
  describeRateLimitStoreContract,
  describeSecretVaultContract,
  describeSnapshotStoreContract
} from "@guildpulse/core/testing"
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

describeSnapshotStoreContract("redis", redis(RedisSnapshotStore.layer), { shared: true })

describeProfileRepositoryContract("redis", redis(RedisProfileRepository.layer), { shared: true })

describeCircuitStoreContract("redis", redis(RedisCircuitStore.layer))

// Memory stores read Effect's Clock: their expiries run on the TestClock. Redis keeps time on the server.
describeRateLimitStoreContract("redis", redis(RedisRateLimitStore.layer()), "live")

describeLockContract("redis", redis(RedisLock.layer), "live")

describeEventLogContract("redis", (namespace, capacity) => redis(RedisEventLog.layer(capacity !== undefined ? { capacity } : {}))(namespace))

describeSecretVaultContract("redis", (namespace, masterKeys) => redis(RedisSecretVault.layer(masterKeys))(namespace))

describeApiKeyRepositoryContract("redis", redis(RedisApiKeyRepository.layer))

// Samples keep the times they are given: compaction and retention run on the TestClock's `nowMs`.
describeAnalyticsStoreContract("redis", redis(RedisAnalyticsStore.layer()))

// The audit log keeps the times it is given (no server time): retention runs on the TestClock.
describeAuditLogContract("redis", redis(RedisAuditLog.layer))
