/**
 * A `@libsql/client` `Client` over one native `libsql` connection, so `@effect/sql-libsql`'s `SqlClient` (the
 * migrator, ad-hoc queries) and the stores' prepared statements share ONE connection and one set of pragmas.
 * (`@libsql/client`'s own file client opens a new connection for every transaction and never closes the old one.)
 *
 * Every call runs synchronously on the connection. A transaction begun here is held across awaits by the
 * `SqlClient`, so it is used only before the stores start (migrations).
 */
import type { Client, InStatement, ResultSet, Row, Transaction, TransactionMode } from "@libsql/client"
import type Database from "libsql"

type Value = null | string | number | bigint | ArrayBuffer

const toArgs = (stmt: InStatement): { readonly sql: string; readonly args: ReadonlyArray<unknown> | Record<string, unknown> } =>
  typeof stmt === "string" ? { sql: stmt, args: [] } : { sql: stmt.sql, args: stmt.args ?? [] }

const resultSet = (columns: Array<string>, rows: Array<Row>, rowsAffected: number, lastInsertRowid: bigint | undefined): ResultSet => ({
  columns,
  columnTypes: columns.map(() => ""),
  rows,
  rowsAffected,
  lastInsertRowid,
  toJSON: () => ({ columns, rows, rowsAffected })
})

/** Runs one statement on the connection (synchronously). */
export const executeOn = (db: Database.Database, stmt: InStatement): ResultSet => {
  const { sql, args } = toArgs(stmt)
  const prepared = db.prepare(sql)
  const params = Array.isArray(args) ? args : [args]
  if (prepared.reader) {
    const objects = prepared.all(...params) as Array<Record<string, Value>>
    const columns = prepared.columns().map((column) => column.name)
    const rows = objects.map((object) => {
      const row: Record<string | number, Value> & { length: number } = { length: columns.length }
      columns.forEach((name, i) => {
        const value = object[name] ?? null
        row[name] = value
        row[i] = value
      })
      return row as unknown as Row
    })
    return resultSet(columns, rows, 0, undefined)
  }
  const info = prepared.run(...params)
  return resultSet([], [], info.changes, BigInt(info.lastInsertRowid))
}

const begin = (mode: TransactionMode | undefined) =>
  mode === "write" ? "BEGIN IMMEDIATE" : mode === "read" ? "BEGIN TRANSACTION READONLY" : "BEGIN DEFERRED"

export const makeNativeClient = (db: Database.Database): Client => {
  const transaction = (mode?: TransactionMode): Transaction => {
    db.exec(begin(mode))
    const tx: Transaction = {
      execute: async (stmt) => executeOn(db, stmt),
      batch: async (stmts) => stmts.map((stmt) => executeOn(db, stmt)),
      executeMultiple: async (sql) => void db.exec(sql),
      rollback: async () => {
        if (db.inTransaction) db.exec("ROLLBACK")
      },
      commit: async () => void db.exec("COMMIT"),
      close: () => {
        if (db.inTransaction) db.exec("ROLLBACK")
      },
      get closed() {
        return !db.inTransaction
      }
    }
    return tx
  }
  const inTransaction = <A>(mode: TransactionMode | undefined, f: () => A): A => {
    db.exec(begin(mode))
    try {
      const result = f()
      db.exec("COMMIT")
      return result
    } finally {
      if (db.inTransaction) db.exec("ROLLBACK")
    }
  }
  let closed = false
  return {
    execute: async (stmt: InStatement) => executeOn(db, stmt),
    batch: async (stmts: Array<InStatement>, mode?: TransactionMode) => inTransaction(mode, () => stmts.map((stmt) => executeOn(db, stmt))),
    migrate: async (stmts: Array<InStatement>) => inTransaction("deferred", () => stmts.map((stmt) => executeOn(db, stmt))),
    transaction: async (mode?: TransactionMode) => transaction(mode),
    executeMultiple: async (sql: string) => void db.exec(sql),
    sync: async () => undefined,
    // The connection belongs to the caller (`SqliteDatabase` closes it).
    close: () => {
      closed = true
    },
    get closed() {
      return closed
    },
    protocol: "file"
  } as Client
}
