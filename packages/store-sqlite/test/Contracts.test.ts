/**
 * Every port's contract suite, from `@guildpulse/core/testing`, run against the SQLite layers (core runs them on
 * its memory layers) — the same tests for every store.
 * Each SQLite namespace is a data directory of its own (a real file in a temp dir); two layers made with the
 * same namespace open the same file one after the other (a restart).
 */
import { join } from "node:path"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { afterAll } from "vitest"
import { Layer } from "effect"
import {
  SqliteAlertRulesStore,
  SqliteAnalyticsStore,
  SqliteApiKeyRepository,
  SqliteAuditLog,
  SqliteCircuitStore,
  SqliteDatabase,
  SqliteEventLog,
  SqliteLock,
  SqliteProfileRepository,
  SqliteRateLimitStore,
  SqliteSecretVault,
  SqliteSnapshotStore
} from "../src/index.js"
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
} from "@guildpulse/core/testing"

const root = mkdtempSync(join(tmpdir(), "gp-sqlite-contract-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let fresh = 0
const sqlite = <A, E>(store: Layer.Layer<A, E, SqliteDatabase.SqliteDatabase>) => (namespace: string) =>
  store.pipe(Layer.provide(SqliteDatabase.layer({ dataDir: join(root, namespace) })))
/** For suites that name their namespaces by test (not by run): a directory of its own every time. */
const sqliteFresh = <A, E>(store: Layer.Layer<A, E, SqliteDatabase.SqliteDatabase>) => (namespace: string) =>
  sqlite(store)(`${namespace}-${++fresh}`)

describeSnapshotStoreContract("sqlite", sqlite(SqliteSnapshotStore.layer), { shared: true })

describeProfileRepositoryContract("sqlite", sqlite(SqliteProfileRepository.layer), { shared: true })

describeCircuitStoreContract("sqlite", sqlite(SqliteCircuitStore.layer))

// The SQLite stores read Effect's Clock: expiries and windows run on the TestClock, instantly.
describeRateLimitStoreContract("sqlite", sqlite(SqliteRateLimitStore.layer), "test")

describeLockContract("sqlite", sqlite(SqliteLock.layer), "test")

describeEventLogContract("sqlite", (namespace, capacity) => sqlite(SqliteEventLog.layer(capacity !== undefined ? { capacity } : {}))(namespace))

describeSecretVaultContract("sqlite", (namespace, masterKeys) => sqlite(SqliteSecretVault.layer(masterKeys))(namespace))
describeSecretVaultContract("sqlite, key file of the data directory", sqlite(SqliteSecretVault.layer()), { encrypts: false })

describeApiKeyRepositoryContract("sqlite", sqliteFresh(SqliteApiKeyRepository.layer))
describeAuditLogContract("sqlite", sqliteFresh(SqliteAuditLog.layer))
describeAlertRulesStoreContract("sqlite", sqliteFresh(SqliteAlertRulesStore.layer))
describeAnalyticsStoreContract("sqlite", sqliteFresh(SqliteAnalyticsStore.layer()))
