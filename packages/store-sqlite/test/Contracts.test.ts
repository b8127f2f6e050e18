/**
 * Every port's contract suite, run against core's memory layer and the SQLite layer — the same tests for both.
 * Each SQLite namespace is a data directory of its own (a real file in a temp dir); two layers made with the
 * same namespace open the same file one after the other (a restart).
 */
import { join } from "node:path"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { afterAll } from "vitest"
import { Layer } from "effect"
import { CircuitStore, EventLog, Lock, ProfileRepository, RateLimitStore, SecretVault, SnapshotStore } from "@guildpulse/core"
import {
  SqliteCircuitStore,
  SqliteDatabase,
  SqliteEventLog,
  SqliteLock,
  SqliteProfileRepository,
  SqliteRateLimitStore,
  SqliteSecretVault,
  SqliteSnapshotStore
} from "../src/index.js"
import { describeCircuitStoreContract } from "./contracts/CircuitStoreContract.js"
import { describeEventLogContract } from "./contracts/EventLogContract.js"
import { describeLockContract } from "./contracts/LockContract.js"
import { describeProfileRepositoryContract } from "./contracts/ProfileRepositoryContract.js"
import { describeRateLimitStoreContract } from "./contracts/RateLimitStoreContract.js"
import { describeSecretVaultContract } from "./contracts/SecretVaultContract.js"
import { describeSnapshotStoreContract } from "./contracts/SnapshotStoreContract.js"
import { testMasterKeys } from "./fixtures/keys.js"

const root = mkdtempSync(join(tmpdir(), "gp-sqlite-contract-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const sqlite = <A, E>(store: Layer.Layer<A, E, SqliteDatabase.SqliteDatabase>) => (namespace: string) =>
  store.pipe(Layer.provide(SqliteDatabase.layer({ dataDir: join(root, namespace) })))

describeSnapshotStoreContract("memory", () => SnapshotStore.layerMemory, { shared: false })
describeSnapshotStoreContract("sqlite", sqlite(SqliteSnapshotStore.layer), { shared: true })

describeProfileRepositoryContract("memory", () => ProfileRepository.layerMemory(), { shared: false })
describeProfileRepositoryContract("sqlite", sqlite(SqliteProfileRepository.layer), { shared: true })

describeCircuitStoreContract("memory", () => CircuitStore.layerMemory)
describeCircuitStoreContract("sqlite", sqlite(SqliteCircuitStore.layer))

// Both read Effect's Clock: expiries and windows run on the TestClock, instantly.
describeRateLimitStoreContract("memory", () => RateLimitStore.layerMemory, "test")
describeRateLimitStoreContract("sqlite", sqlite(SqliteRateLimitStore.layer), "test")

describeLockContract("memory", () => Lock.layerMemory, "test")
describeLockContract("sqlite", sqlite(SqliteLock.layer), "test")

describeEventLogContract("memory", (_namespace, capacity) => EventLog.layerMemory(capacity))
describeEventLogContract("sqlite", (namespace, capacity) => sqlite(SqliteEventLog.layer(capacity !== undefined ? { capacity } : {}))(namespace))

describeSecretVaultContract("memory", () => SecretVault.layerMemory())
describeSecretVaultContract("sqlite", sqlite(SqliteSecretVault.layer(testMasterKeys)))
describeSecretVaultContract("sqlite, key file of the data directory", sqlite(SqliteSecretVault.layer()))
