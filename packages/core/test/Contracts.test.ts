/** Every port's contract suite (from `@guildpulse/core/testing`) on core's memory layers. */
import { Effect, Layer } from "effect"
import { AlertRulesStore, AnalyticsStore, ApiKeyRepository, AuditLog, CircuitStore, EventLog, Lock, ProfileRepository, RateLimitStore, SecretCrypto, SecretVault, SnapshotStore } from "../src/index.js"
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
describeSecretVaultContract("memory", () => SecretVault.layerMemory(), { encrypts: false })
// The sealed memory vault: one map of envelopes per namespace, so a "restart" with another keyring reads it.
const envelopes = new Map<string, Map<string, string>>()
describeSecretVaultContract("memory, sealed", (namespace, masterKeys) =>
  Layer.unwrapEffect(
    Effect.map(SecretCrypto.keyringFrom(masterKeys), (keyring) => {
      const shared = envelopes.get(namespace) ?? new Map<string, string>()
      envelopes.set(namespace, shared)
      return SecretVault.layerMemory(undefined, { keyring, envelopes: shared })
    })
  ))
describeAnalyticsStoreContract("memory", () => AnalyticsStore.layerMemory())
describeAlertRulesStoreContract("memory", () => AlertRulesStore.layerMemory())
describeApiKeyRepositoryContract("memory", () => ApiKeyRepository.layerMemory())
describeAuditLogContract("memory", () => AuditLog.layerMemory)
