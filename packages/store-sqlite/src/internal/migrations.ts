/**
 * The schema, created and upgraded by `@effect/sql`'s migrator (table `effect_sql_migrations`). Migrations are
 * append-only: a released one is never edited; a change of schema is a new entry.
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

const statements = (...ddl: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const statement of ddl) yield* sql.unsafe(statement)
  })

export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0001_initial": statements(
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE profiles (key TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE snapshots (profile TEXT PRIMARY KEY, attempted_at_ms INTEGER NOT NULL, json TEXT NOT NULL)",
    "CREATE TABLE secrets (profile TEXT PRIMARY KEY, envelope TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE circuits (key TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE rate_blocks (key TEXT PRIMARY KEY, until_ms INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE rate_invalid (at_ms INTEGER NOT NULL)",
    "CREATE INDEX rate_invalid_at ON rate_invalid (at_ms)",
    "CREATE TABLE lock_fencing (key TEXT PRIMARY KEY, fencing INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE events (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, level INTEGER NOT NULL, type TEXT NOT NULL, profile TEXT, json TEXT NOT NULL)",
    "CREATE INDEX events_profile ON events (profile, id)",
    "CREATE INDEX events_ts ON events (ts_ms)"
  ),
  "0002_keys_audit_alerts_analytics": statements(
    "CREATE TABLE api_keys (id TEXT PRIMARY KEY, created_at_ms INTEGER NOT NULL, json TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, key_id TEXT NOT NULL, action TEXT NOT NULL, profile TEXT, json TEXT NOT NULL)",
    "CREATE INDEX audit_at ON audit (at_ms)",
    "CREATE TABLE samples (profile TEXT NOT NULL, at_ms INTEGER NOT NULL, online INTEGER, members INTEGER, state TEXT NOT NULL, span_ms INTEGER NOT NULL DEFAULT 0)",
    // One index: queries go by profile and time; retention (rare) scans.
    "CREATE INDEX samples_profile_at ON samples (profile, at_ms)"
  ),
  // Downsampling tiers: a bucket row (span_ms > 0) keeps how many raw samples it folds, how many were fresh,
  // and min/max/sum/count of online and members. Rows downsampled before this migration (hourly averages)
  // become buckets of one sample holding that average.
  "0003_sample_buckets": statements(
    ...["n", "fresh_n", "online_min", "online_max", "online_sum", "online_n", "members_min", "members_max", "members_sum", "members_n"].map(
      (column) => `ALTER TABLE samples ADD COLUMN ${column} ${column.endsWith("_sum") ? "REAL" : "INTEGER"}`
    ),
    "UPDATE samples SET n = 1, fresh_n = (state = 'fresh'), " +
      "online_min = online, online_max = online, online_sum = online, online_n = (online IS NOT NULL), " +
      "members_min = members, members_max = members, members_sum = members, members_n = (members IS NOT NULL) WHERE span_ms > 0",
    // Compaction picks the rows of a tier by span and age.
    "CREATE INDEX samples_span_at ON samples (span_ms, at_ms)"
  ),
  // Boosts (a raw sample's number; a bucket's min/max/sum/count) and the widget's presence sample (raw rows
  // only, JSON).
  "0004_sample_boosts_presence": statements(
    ...["boosts", "boosts_min", "boosts_max", "boosts_sum", "boosts_n"].map(
      (column) => `ALTER TABLE samples ADD COLUMN ${column} ${column.endsWith("_sum") ? "REAL" : "INTEGER"}`
    ),
    "ALTER TABLE samples ADD COLUMN presence TEXT"
  )
}

export const loader: Migrator.Loader = Migrator.fromRecord(migrations)
