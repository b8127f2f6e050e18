/**
 * Checks a database file before SQLite opens it, reading only: a file that is not SQLite, or was cut short,
 * is refused with a clear message and left exactly as it was for the operator.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs"

const MAGIC = "SQLite format 3\u0000"
const HEADER_BYTES = 100

export type FileState =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Ok"; readonly pageSize: number; readonly pages: number }
  | { readonly _tag: "Invalid"; readonly problem: string }

export const inspectDatabaseFile = (path: string): FileState => {
  if (!existsSync(path)) return { _tag: "Missing" }
  const size = statSync(path).size
  if (size === 0) return { _tag: "Empty" }
  if (size < HEADER_BYTES) return { _tag: "Invalid", problem: `it is only ${size} bytes long (truncated)` }
  const header = Buffer.alloc(HEADER_BYTES)
  const fd = openSync(path, "r")
  try {
    readSync(fd, header, 0, HEADER_BYTES, 0)
  } finally {
    closeSync(fd)
  }
  if (header.toString("latin1", 0, 16) !== MAGIC) return { _tag: "Invalid", problem: "it does not start with the SQLite header (not a database, or overwritten)" }
  const rawPageSize = header.readUInt16BE(16)
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    return { _tag: "Invalid", problem: `its header names an impossible page size (${rawPageSize})` }
  }
  const pages = header.readUInt32BE(28)
  const sizeValid = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92)
  // With a write-ahead log beside it the main file may lag behind its header until the log is checkpointed.
  const walPresent = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0
  if (sizeValid && !walPresent && size < pages * pageSize) {
    return { _tag: "Invalid", problem: `it is ${size} bytes long but its header says ${pages} pages of ${pageSize} bytes (truncated)` }
  }
  if (!walPresent && size % pageSize !== 0) {
    return { _tag: "Invalid", problem: `its size (${size} bytes) is not a whole number of ${pageSize}-byte pages (truncated)` }
  }
  return { _tag: "Ok", pageSize, pages }
}
