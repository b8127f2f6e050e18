/**
 * @guildpulse/store-sqlite — the embedded durable store: every storage port of GuildPulse on one libSQL file,
 * the single-instance default that survives restarts.
 */
export * as SqliteAlertRulesStore from "./SqliteAlertRulesStore.js"
export * as SqliteAnalyticsStore from "./SqliteAnalyticsStore.js"
export * as SqliteApiKeyRepository from "./SqliteApiKeyRepository.js"
export * as SqliteAuditLog from "./SqliteAuditLog.js"
export * as SqliteBackup from "./SqliteBackup.js"
export * as SqliteCircuitStore from "./SqliteCircuitStore.js"
export * as SqliteDatabase from "./SqliteDatabase.js"
export * as SqliteEngine from "./SqliteEngine.js"
export * as SqliteEventLog from "./SqliteEventLog.js"
export * as SqliteLock from "./SqliteLock.js"
export * as SqliteProfileRepository from "./SqliteProfileRepository.js"
export * as SqliteRateLimitStore from "./SqliteRateLimitStore.js"
export * as SqliteSecretVault from "./SqliteSecretVault.js"
export * as SqliteSnapshotStore from "./SqliteSnapshotStore.js"
export * as SqliteStoreHealth from "./SqliteStoreHealth.js"
export * as SqliteStores from "./SqliteStores.js"
