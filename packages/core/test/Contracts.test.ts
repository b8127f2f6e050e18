/** Every port's contract suite (from `@guildpulse/core/testing`) on core's memory layers. */
import { AlertRulesStore, AnalyticsStore, ApiKeyRepository, AuditLog, CircuitStore, EventLog, Lock, ProfileRepository, RateLimitStore, SecretVault, SnapshotStore } from "../src/index.js"
import {
  describeAlertRulesStoreContract,
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
} from "../src/testing/index.js"

describeSnapshotStoreContract("memory", () => SnapshotStore.layerMemory, { shared: false })
describeProfileRepositoryContract("memory", () => ProfileRepository.layerMemory(), { shared: false })
describeCircuitStoreContract("memory", () => CircuitStore.layerMemory)
describeRateLimitStoreContract("memory", () => RateLimitStore.layerMemory, "test")
describeLockContract("memory", () => Lock.layerMemory, "test")
describeEventLogContract("memory", (_namespace, capacity) => EventLog.layerMemory(capacity))
describeSecretVaultContract("memory", () => SecretVault.layerMemory())
describeAnalyticsStoreContract("memory", () => AnalyticsStore.layerMemory())
describeAlertRulesStoreContract("memory", () => AlertRulesStore.layerMemory())
describeApiKeyRepositoryContract("memory", () => ApiKeyRepository.layerMemory())
describeAuditLogContract("memory", () => AuditLog.layerMemory)
