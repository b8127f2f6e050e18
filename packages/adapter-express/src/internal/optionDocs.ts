/** The query parameters of the widget and badge routes, documented from the options schemas they decode into. */
import { Schema, SchemaAST } from "effect"
import type { ParamDoc } from "../Routes.js"
import { Flag } from "../Schemas.js"

/** The schema of an option at `path` inside a Struct schema (optional wrappers removed), for documentation. */
const optionSchema = (root: SchemaAST.AST, path: ReadonlyArray<string>): Schema.Schema.Any | undefined => {
  let ast: SchemaAST.AST | undefined = root
  for (const name of path) {
    if (ast === undefined || !SchemaAST.isTypeLiteral(ast)) return undefined
    const found: SchemaAST.PropertySignature | undefined = ast.propertySignatures.find((p) => p.name === name)
    if (found === undefined) return undefined
    ast = found.type
    if (SchemaAST.isUnion(ast)) {
      const members: ReadonlyArray<SchemaAST.AST> = ast.types.filter((t) => !SchemaAST.isUndefinedKeyword(t))
      ast = members.length === 1 ? members[0] : SchemaAST.Union.make(members)
    }
  }
  return ast === undefined ? undefined : Schema.make(ast)
}

/** Query parameters of the widget/badge routes, documented from the options schemas they decode into. */
export const optionParamDocs = (
  params: Readonly<Record<string, { readonly kind: string; readonly path: ReadonlyArray<string> }>>,
  options: Schema.Schema.Any
): Record<string, ParamDoc> => {
  const out: Record<string, ParamDoc> = {}
  for (const [name, param] of Object.entries(params)) {
    const schema =
      param.kind === "boolean"
        ? Flag
        : param.kind === "color"
        ? Schema.String.annotations({ description: "a hex colour (bare, or with the # URL-encoded as %23) or rgb()/rgba()" })
        : optionSchema(options.ast, param.path) ?? Schema.String
    out[name] = { schema, description: `Overrides ${param.path.join(".")}` }
  }
  return out
}

