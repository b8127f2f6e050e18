/**
 * `POST /v1/import/wordpress[?dryRun=1]` (scope `profiles:write`): the legacy plugin's option JSON in, the
 * profiles of `planImport` created (existing ones kept), the plan's outcome out. The WordPress plugin's import
 * (settings page, `wp guildpulse import`) posts the option here, so the mapping lives in one place.
 *
 * Served through adapter-express's `extraRoutes` (the CLI's `serve` adds it). The plugin replaces the old
 * site's encrypted tokens by a marker before posting; whatever arrives, tokens are never stored or echoed.
 */
import type { RouteContext, RouteSpec } from "@guildpulse/adapter-express"
import { Problem, Profiles } from "@guildpulse/core"
import { Effect, Either, Exit, Schema } from "effect"
import { planImport } from "./Importer.js"

export const IMPORT_PATH = "/v1/import/wordpress"
const BODY_LIMIT_BYTES = 256 * 1024

const problem = (context: RouteContext, status: number, code: string, detail: string, field?: string) =>
  context.sendProblem(field !== undefined ? Problem.invalidField(field, detail) : Problem.make(status, code, detail))

const readBody = (context: RouteContext): Promise<{ ok: true; text: string } | { ok: false; tooLarge: boolean }> => {
  const req = context.req as RouteContext["req"] & { body?: unknown }
  if (req.body !== undefined && typeof req.body === "object" && req.body !== null) return Promise.resolve({ ok: true, text: JSON.stringify(req.body) })
  return new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    req.on("data", (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > BODY_LIMIT_BYTES) {
        done = true
        resolve({ ok: false, tooLarge: true })
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => {
      if (!done) resolve({ ok: true, text: Buffer.concat(chunks).toString("utf8") })
    })
    req.on("error", () => {
      if (!done) resolve({ ok: false, tooLarge: false })
    })
  })
}

export type ImportResult = "created" | "exists" | "would create" | "invalid"

/** The import route, for `extraRoutes`. */
export const importRoute = (): RouteSpec => ({
  method: "post",
  path: IMPORT_PATH,
  access: { kind: "scope", scope: "profiles:write" },
  doc: {
    operationId: "importWordPress",
    summary: "Import the legacy WordPress plugin's settings",
    description:
      "Body: the JSON of the legacy plugin's `discord_server_stats_options` option. Creates one profile per configured server (existing profiles are kept) with the site-wide display defaults; bot tokens are never imported: `needsToken` lists the profiles whose token must be set again. `dryRun=1` changes nothing (each profile: `would create` or `exists`).",
    tags: ["profiles"],
    query: { dryRun: { schema: Schema.String, description: "1 or true: only report what would be created" } },
    responses: {
      200: { description: "What was (or would be) created" },
      400: { description: "Not the option's JSON object", problem: true },
      413: { description: "Body too large", problem: true },
      415: { description: "Body is not JSON", problem: true }
    }
  },
  handle: async (context) => {
    const query = context.query()
    const dryRaw = query["dryRun"]
    if (dryRaw !== undefined && !["1", "true", "0", "false"].includes(String(dryRaw))) {
      return problem(context, 400, "validation_failed", "must be 1, true, 0 or false", "dryRun")
    }
    const dryRun = dryRaw === "1" || dryRaw === "true"
    const type = String(context.req.headers["content-type"] ?? "")
    if (!/^application\/json\b/i.test(type)) return problem(context, 415, "unsupported_media_type", "send the option as application/json")
    const body = await readBody(context)
    if (!body.ok) return body.tooLarge ? problem(context, 413, "payload_too_large", `the body is over ${BODY_LIMIT_BYTES} bytes`) : undefined
    const planned = planImport(body.text)
    if (Either.isLeft(planned)) return problem(context, 400, "validation_failed", planned.left.reason, "body")
    const plan = planned.right
    const results: Array<{ key: string; from: string; result: ImportResult; needsToken: boolean; detail?: string }> = []
    for (const p of plan.profiles) {
      if (dryRun) {
        const existing = await context.run(Effect.flatMap(Profiles.Profiles, (profiles) => profiles.get(p.input.key)))
        results.push({ key: p.input.key, from: p.from, result: Exit.isSuccess(existing) ? "exists" : "would create", needsToken: p.needsToken })
        continue
      }
      const exit = await context.run(Effect.flatMap(Profiles.Profiles, (profiles) => profiles.create(p.input)))
      if (Exit.isSuccess(exit)) {
        await Effect.runPromise(context.audit({ action: "profile.create", profile: p.input.key, after: exit.value }))
        results.push({ key: p.input.key, from: p.from, result: "created", needsToken: p.needsToken })
      } else {
        const failure = exit.cause._tag === "Fail" ? (exit.cause.error as { _tag?: string; message?: string }) : undefined
        if (failure?._tag === "Conflict") results.push({ key: p.input.key, from: p.from, result: "exists", needsToken: p.needsToken })
        else results.push({ key: p.input.key, from: p.from, result: "invalid", needsToken: p.needsToken, detail: failure?.message ?? "could not be stored" })
      }
    }
    context.sendJson(200, { dryRun, profiles: results, display: plan.display, needsToken: plan.needsToken, skipped: plan.skipped, warnings: plan.warnings }, context.headers)
  }
})
