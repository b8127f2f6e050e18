/**
 * JSON codecs over the domain schemas: what goes into Redis is the schema's encoded form, and what comes back
 * is decoded by the same schema (brands included), so nothing from outside the process is trusted blindly.
 */
import { Either, ParseResult, Schema } from "effect"
import { StoreError } from "@guildpulse/core"

export interface JsonCodec<A> {
  readonly encode: (value: A) => Either.Either<string, StoreError>
  readonly decode: (text: string) => Either.Either<A, StoreError>
}

/** The first few issues, each with its path: short enough for a log line. */
const summary = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const shown = issues.slice(0, 3).map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
  return issues.length > 3 ? `${shown.join("; ")}; …` : shown.join("; ")
}

export const jsonCodec = <A, I>(schema: Schema.Schema<A, I>, store: string): JsonCodec<A> => {
  const json = Schema.parseJson(schema)
  const encode = Schema.encodeEither(json)
  const decode = Schema.decodeUnknownEither(json)
  return {
    encode: (value) =>
      Either.mapLeft(
        encode(value),
        (error) =>
          new StoreError({ reason: "corrupt", store, message: `cannot encode value: ${summary(error)}`, cause: error })
      ),
    decode: (text) =>
      Either.mapLeft(
        decode(text),
        (error) =>
          new StoreError({ reason: "corrupt", store, message: `stored value does not decode: ${summary(error)}`, cause: error })
      )
  }
}
