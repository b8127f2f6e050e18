/**
 * Analytics of a running server (`analytics:read`): `analytics show <profile>` (a series, aggregates),
 * `analytics export <profile>` (CSV, JSON or JSON lines, streamed to a file or stdout as it arrives) and
 * `analytics report` (every profile the key may read). The server validates the parameters; a bad one is
 * its 400, printed with the field, exit 2. Same `--url`/`--key` as the operator commands.
 */
import { Args, Command, Options } from "@effect/cli"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { createWriteStream } from "node:fs"
import type { Writable } from "node:stream"
import { Console, Effect, Option, Redacted, Stream } from "effect"
import * as Api from "../Api.js"
import { CliError, EXIT_FAILED, EXIT_UNREACHABLE } from "../CliError.js"
import { pairs, show, table } from "../internal/table.js"
import { connection, format, json, type Target, withClient } from "./Operator.js"

const profileArg = Args.text({ name: "profile" }).pipe(Args.withDescription("Profile key, e.g. my-server"))
const from = Options.text("from").pipe(Options.withDescription("Start: ISO 8601 date or instant, or epoch ms (default: --range before --to)"), Options.optional)
const to = Options.text("to").pipe(Options.withDescription("End, exclusive (default: now)"), Options.optional)
const range = Options.text("range").pipe(Options.withDescription("A range ending at --to instead of --from: 90m, 24h, 7d, 4w (default 24h)"), Options.optional)
const timeZone = Options.text("time-zone").pipe(Options.withDescription("IANA time zone (default UTC) of the heatmap, the report's hours and the export's times"), Options.optional)
const points = Options.integer("points").pipe(Options.withDefault(24), Options.withDescription("At most this many points in the series (1-5000)"))

const rangeParams = (options: { readonly from: Option.Option<string>; readonly to: Option.Option<string>; readonly range: Option.Option<string>; readonly timeZone: Option.Option<string> }) => {
  const params = new URLSearchParams()
  if (Option.isSome(options.from)) params.set("from", options.from.value)
  if (Option.isSome(options.to)) params.set("to", options.to.value)
  if (Option.isSome(options.range)) params.set("range", options.range.value)
  if (Option.isSome(options.timeZone)) params.set("tz", options.timeZone.value)
  return params
}

const profilePath = (profile: string) => `/v1/profiles/${encodeURIComponent(profile)}/analytics`
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? "-" : new Date(ms).toISOString())
const num = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? "-" : String(Math.round(n * 10 ** digits) / 10 ** digits))

interface FieldAggregates {
  readonly average: number
  readonly min: number
  readonly peak: { readonly value: number; readonly atMs: number }
  readonly growth: number
  readonly growthPercent: number | null
}
interface Aggregate {
  readonly avg: number
  readonly min: number
  readonly max: number
}
interface ShowBody {
  readonly fromMs: number
  readonly toMs: number
  readonly series: { readonly points: ReadonlyArray<{ readonly atMs: number; readonly count: number; readonly online?: Aggregate; readonly members?: Aggregate }> }
  readonly aggregates: {
    readonly samples: number
    readonly online: FieldAggregates | null
    readonly members: FieldAggregates | null
    readonly boosts: (FieldAggregates & { readonly perDay: number; readonly direction: string }) | null
  }
}

const fieldLine = (a: FieldAggregates | null) =>
  a === null
    ? "-"
    : `average ${num(a.average)}, min ${num(a.min, 0)}, peak ${num(a.peak.value, 0)} at ${iso(a.peak.atMs)}, growth ${num(a.growth)}${a.growthPercent === null ? "" : ` (${num(a.growthPercent)} %)`}`

const showCommand = Command.make("show", { ...connection, format, profile: profileArg, from, to, range, timeZone, points }, ({ format, profile, points, ...rest }) =>
  withClient(
    Effect.gen(function* () {
      const target: Target = { url: rest.url, key: rest.key }
      const params = rangeParams(rest)
      params.set("points", String(points))
      const answer = yield* Api.request(target, "GET", `${profilePath(profile)}?${params}`)
      if (format === "json") return yield* json(answer.body)
      const body = answer.body as ShowBody
      const a = body.aggregates
      yield* Console.log(
        [
          pairs([
            ["profile", profile],
            ["range", `${iso(body.fromMs)} → ${iso(body.toMs)}`],
            ["samples", String(a.samples)],
            ["online", fieldLine(a.online)],
            ["members", fieldLine(a.members)],
            ["boosts", a.boosts === null ? "-" : `${fieldLine(a.boosts)}, ${a.boosts.direction} (${num(a.boosts.perDay, 3)}/day)`]
          ]),
          "",
          body.series.points.length === 0
            ? "No samples in this range."
            : table(
                ["TIME", "SAMPLES", "ONLINE", "ONLINE MAX", "MEMBERS"],
                body.series.points.map((p) => [iso(p.atMs), String(p.count), num(p.online?.avg), num(p.online?.max, 0), num(p.members?.avg)])
              )
        ].join("\n")
      )
    })
  )
).pipe(Command.withDescription("A profile's recorded numbers: aggregates and a series of at most --points points (needs analytics:read)."))

// ---------------------------------------------------------------------------------------------- export

const exportFormat = Options.choice("format", ["csv", "json", "ndjson"]).pipe(Options.withDefault("csv" as const), Options.withDescription("csv, json (one array) or ndjson (one object a line)"))
const delimiter = Options.text("delimiter").pipe(Options.withDescription("CSV delimiter: , ; | or tab (also comma, semicolon, pipe)"), Options.optional)
const output = Options.file("output").pipe(Options.withAlias("o"), Options.withDescription("Write to this file instead of stdout"), Options.optional)

/** Writes a chunk, waiting for `drain` when the destination's buffer is full. */
const writeTo = (out: Writable, chunk: Uint8Array) =>
  Effect.async<void, CliError>((resume) => {
    if (out.write(chunk)) return resume(Effect.void)
    const onDrain = () => {
      out.off("error", onError)
      resume(Effect.void)
    }
    const onError = (error: Error) => {
      out.off("drain", onDrain)
      resume(Effect.fail(new CliError({ message: `Cannot write the export: ${error.message}`, exitCode: EXIT_FAILED })))
    }
    out.once("drain", onDrain)
    out.once("error", onError)
  })

const closeFile = (out: Writable) =>
  Effect.async<void, CliError>((resume) => {
    out.once("error", (error) => resume(Effect.fail(new CliError({ message: `Cannot write the export: ${error.message}`, exitCode: EXIT_FAILED }))))
    out.end(() => resume(Effect.void))
  })

const exportCommand = Command.make(
  "export",
  { ...connection, profile: profileArg, from, to, range, timeZone, format: exportFormat, delimiter, output },
  ({ delimiter, format, output, profile, ...rest }) =>
    withClient(
      Effect.gen(function* () {
        const target: Target = { url: rest.url, key: rest.key }
        const params = rangeParams(rest)
        params.set("format", format)
        if (Option.isSome(delimiter)) params.set("delimiter", delimiter.value === "\\t" ? "tab" : delimiter.value)
        const path = `${profilePath(profile)}/export?${params}`
        const base = yield* Api.checkUrl(target.url)
        const client = yield* HttpClient.HttpClient
        let req = HttpClientRequest.get(`${base}${path}`)
        if (Option.isSome(target.key)) req = HttpClientRequest.bearerToken(req, Redacted.value(target.key.value))
        const response = yield* client.execute(req).pipe(
          Effect.catchTag("RequestError", () =>
            Effect.fail(new CliError({ message: `Cannot reach the GuildPulse server at ${base}. Is \`guildpulse serve\` running there? Set --url or GUILDPULSE_URL.`, exitCode: EXIT_UNREACHABLE }))
          ),
          Effect.catchTag("ResponseError", (error) => Effect.fail(new CliError({ message: `Bad answer from ${base}: ${error.message}`, exitCode: EXIT_FAILED })))
        )
        if (response.status !== 200) {
          const text = yield* Effect.orElseSucceed(response.text, () => "")
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {
            // not JSON
          }
          return yield* Api.failure(target, "GET", path, response.status, body)
        }
        // The file is opened only once the server has said yes: a refused export leaves nothing behind.
        const out: Writable = Option.isSome(output) ? createWriteStream(output.value) : process.stdout
        yield* response.stream.pipe(
          Stream.mapError((error) => new CliError({ message: `The export was cut off: ${error.message}`, exitCode: EXIT_FAILED })),
          Stream.runForEach((chunk) => writeTo(out, chunk))
        )
        if (Option.isSome(output)) {
          yield* closeFile(out)
          yield* Console.error(`Wrote ${output.value}`)
        }
      })
    )
).pipe(Command.withDescription("Export a profile's samples as CSV, JSON or JSON lines, streamed to --output or stdout (needs analytics:read)."))

// ---------------------------------------------------------------------------------------------- report

interface ReportBody {
  readonly fromMs: number
  readonly toMs: number
  readonly timeZone: string
  readonly totals: { readonly profiles: number; readonly online: number; readonly members: number; readonly memberGrowth: number; readonly samples: number }
  readonly growth: ReadonlyArray<{ readonly profile: string; readonly label: string; readonly growth: number | null; readonly growthPercent: number | null }>
  readonly mostActiveHours: ReadonlyArray<{ readonly day: number; readonly hour: number; readonly average: number }>
}

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

const reportCommand = Command.make("report", { ...connection, format, from, to, range, timeZone }, ({ format, ...rest }) =>
  withClient(
    Effect.gen(function* () {
      const target: Target = { url: rest.url, key: rest.key }
      const answer = yield* Api.request(target, "GET", `/v1/analytics/report?${rangeParams(rest)}`)
      if (format === "json") return yield* json(answer.body)
      const r = answer.body as ReportBody
      yield* Console.log(
        [
          pairs([
            ["range", `${iso(r.fromMs)} → ${iso(r.toMs)} (${r.timeZone})`],
            ["profiles", String(r.totals.profiles)],
            ["online now", show(r.totals.online)],
            ["members now", show(r.totals.members)],
            ["member growth", show(r.totals.memberGrowth)],
            ["samples", show(r.totals.samples)]
          ]),
          "",
          r.growth.length === 0
            ? "No profiles."
            : table(["PROFILE", "LABEL", "MEMBER GROWTH", "%"], r.growth.map((g) => [g.profile, g.label, num(g.growth), num(g.growthPercent)])),
          "",
          r.mostActiveHours.length === 0
            ? "No activity recorded."
            : table(["MOST ACTIVE", "AVERAGE ONLINE"], r.mostActiveHours.map((h) => [`${DAYS[h.day] ?? "?"} ${String(h.hour).padStart(2, "0")}:00`, num(h.average)]))
        ].join("\n")
      )
    })
  )
).pipe(Command.withDescription("A report over every profile the key may read: totals, growth ranking, most active hours (needs analytics:read)."))

export const analyticsCommand = Command.make("analytics").pipe(
  Command.withDescription("Recorded numbers of a running server: show, export, report (needs a key with analytics:read)."),
  Command.withSubcommands([showCommand, exportCommand, reportCommand])
)
