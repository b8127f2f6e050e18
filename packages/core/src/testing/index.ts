/**
 * @guildpulse/core/testing — the contract suite of every storage port and the fixtures the tests of every
 * package share. A store runs each suite on its layer: `describeSnapshotStoreContract("sqlite", makeLayer, …)`.
 * Needs `@effect/vitest` and `vitest` (optional peer dependencies of core).
 */
export * from "./AlertRulesStoreContract.js"
export * from "./AnalyticsStoreContract.js"
export * from "./ApiKeyRepositoryContract.js"
export * from "./AuditLogContract.js"
export * from "./CircuitStoreContract.js"
export * from "./ContractClock.js"
export * from "./EventLogContract.js"
export * from "./fixtures.js"
export * from "./LockContract.js"
export * from "./ProfileRepositoryContract.js"
export * from "./RateLimitStoreContract.js"
export * from "./SecretVaultContract.js"
export * from "./SnapshotStoreContract.js"
