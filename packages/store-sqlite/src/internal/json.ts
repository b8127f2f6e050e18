/** JSON columns decoded with a schema: data read from the file is outside data. */
import { Either, ParseResult, Schema } from "effect"

export interface JsonCodec<A> {
  readonly decode: (text: string) => Either.Either<A, string>
  readonly encode: (value: A) => string
}

export const jsonCodec = <A, I>(schema: Schema.Schema<A, I>): JsonCodec<A> => {
  const json = Schema.parseJson(schema)
  const decode = Schema.decodeUnknownEither(json)
  const encode = Schema.encodeSync(json)
  return {
    decode: (text) => Either.mapLeft(decode(text), (error) => ParseResult.TreeFormatter.formatErrorSync(error)),
    encode
  }
}
