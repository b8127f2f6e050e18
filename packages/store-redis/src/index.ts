/**
 * @guildpulse/store-redis — Redis and BullMQ implementations of GuildPulse's ports, for several instances
 * and workers sharing one Redis.
 */
export * as RedisAnalyticsStore from "./RedisAnalyticsStore.js"
export * as RedisApiKeyRepository from "./RedisApiKeyRepository.js"
export * as RedisAuditLog from "./RedisAuditLog.js"
export * as RedisCircuitStore from "./RedisCircuitStore.js"
export * as RedisConnection from "./RedisConnection.js"
export * as RedisEngine from "./RedisEngine.js"
export * as RedisEventLog from "./RedisEventLog.js"
export * as RedisHealth from "./RedisHealth.js"
export * as RedisLock from "./RedisLock.js"
export * as RedisProfileRepository from "./RedisProfileRepository.js"
export * as RedisRateLimitStore from "./RedisRateLimitStore.js"
export * as RedisRefreshScheduler from "./RedisRefreshScheduler.js"
export * as RedisSecretVault from "./RedisSecretVault.js"
export * as RedisSnapshotStore from "./RedisSnapshotStore.js"
export * as RedisStores from "./RedisStores.js"
