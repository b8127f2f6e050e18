/**
 * Decoding of untrusted input into domain values, with failures that name the offending field.
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { ValidationError, type ValidationIssue } from "./Errors.js"
import { isProfileKey, type ProfileKey } from "./Identifiers.js"

const expected = /^Expected (.+), actual (.+)$/s

/**
 * Flattens a parse error into one issue per field. `errors: "all"` reports every branch of a union — for an
 * optional field that includes "Expected undefined", and for literals one line per allowed value — so those
 * are folded into one readable message, and a parent is dropped when one of its fields is named.
 */
const toIssues = (error: ParseResult.ParseError, prefix: string): ReadonlyArray<ValidationIssue> => {
  const byField = new Map<string, Array<string>>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const path = issue.path.map(String).join(".")
    const field = prefix === "" ? (path === "" ? "(root)" : path) : path === "" ? prefix : `${prefix}.${path}`
    const messages = byField.get(field) ?? []
    if (!messages.includes(issue.message)) messages.push(issue.message)
    byField.set(field, messages)
  }
  const fields = [...byField.keys()]
  const issues: Array<ValidationIssue> = []
  for (const [field, all] of byField) {
    if (fields.some((other) => other !== field && (field === "(root)" || other.startsWith(`${field}.`)))) continue
    const messages = all.length > 1 ? all.filter((m) => !m.startsWith("Expected undefined,")) : all
    const alternatives = messages.map((m) => expected.exec(m))
    if (messages.length > 1 && alternatives.every((m) => m !== null)) {
      issues.push({ field, message: `must be one of ${alternatives.map((m) => m![1]).join(", ")}` })
    } else {
      issues.push({ field, message: messages.join("; ") })
    }
  }
  return issues
}

/**
 * Decodes `input` with `schema`, reporting every problem (not just the first) as a `ValidationError`.
 * `field` prefixes the paths when the input is itself one named argument (e.g. `profile`).
 */
export const decode = <A, I>(schema: Schema.Schema<A, I>, field = "") => {
  const decodeEither = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })
  return (input: unknown): Effect.Effect<A, ValidationError> => {
    const result = decodeEither(input)
    return Either.isRight(result)
      ? Effect.succeed(result.right)
      : Effect.fail(new ValidationError({ issues: toIssues(result.left, field) }))
  }
}

/** Synchronous variant for pure call sites; returns an `Either`. */
export const decodeEither = <A, I>(schema: Schema.Schema<A, I>, field = "") => {
  const run = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })
  return (input: unknown): Either.Either<A, ValidationError> =>
    Either.mapLeft(run(input), (error) => new ValidationError({ issues: toIssues(error, field) }))
}

/**
 * Checks a profile key given as a call argument (a regex test, cheap enough for hot paths); fails with a
 * `ValidationError` naming the `profile` field.
 */
export const profileKey = (key: unknown): Effect.Effect<ProfileKey, ValidationError> =>
  isProfileKey(key)
    ? Effect.succeed(key)
    : Effect.fail(
        new ValidationError({
          issues: [{ field: "profile", message: `'${String(key).slice(0, 80)}' is not a profile key: 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit` }]
        })
      )
