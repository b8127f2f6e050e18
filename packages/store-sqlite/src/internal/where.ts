/** A `WHERE` clause built from optional filters, with its parameters in order (shared by the log queries). */
export class Where {
  readonly clauses: Array<string> = []
  readonly params: Array<string | number> = []

  /** `column = value` when the value is given. */
  eq(column: string, value: string | undefined): this {
    if (value !== undefined) this.add(`${column} = ?`, value)
    return this
  }

  /** `column` equals `value` or starts with `value.` (an entity and all its verbs: `profile` ⊃ `profile.updated`). */
  dotted(column: string, value: string | undefined): this {
    if (value !== undefined) this.add(`(${column} = ? OR substr(${column}, 1, ?) = ?)`, value, value.length + 1, `${value}.`)
    return this
  }

  /** `column` within [sinceMs, untilMs], each bound when given. */
  range(column: string, sinceMs: number | undefined, untilMs: number | undefined): this {
    if (sinceMs !== undefined) this.add(`${column} >= ?`, sinceMs)
    if (untilMs !== undefined) this.add(`${column} <= ?`, untilMs)
    return this
  }

  /** Rows before a cursor (the last id seen, newest first); an unreadable cursor is ignored. */
  before(cursor: string | undefined): this {
    if (cursor === undefined) return this
    const id = Number.parseInt(cursor, 10)
    if (Number.isFinite(id)) this.add("id < ?", id)
    return this
  }

  add(clause: string, ...params: ReadonlyArray<string | number>): this {
    this.clauses.push(clause)
    this.params.push(...params)
    return this
  }

  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(" AND ")}` : ""
  }
}
