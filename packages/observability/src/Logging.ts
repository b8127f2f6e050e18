/**
 * Logs: Effect's own loggers, behind the redaction guard.
 *
 * - `json` (the production default): `Logger.jsonLogger` — one JSON object per line with `message`,
 *   `logLevel`, `timestamp`, `annotations` (for engine events: `type`, `profile`, `source`, `outcome`,
 *   `durationMs`, `traceId`… — see `EventLogging`), `spans` and `fiberId`.
 * - `pretty` (development): `Logger.prettyLogger`, coloured when the output is a terminal.
 *
 * Every record is redacted twice: its message and annotations before formatting (`Redacted` values,
 * secret-keyed fields, token-looking text), and the formatted line after (whatever a cause or a stack trace
 * carried). The level filter is Effect's minimum log level.
 */
import { Config, ConfigError, Console, Context, DefaultServices, Either, FiberId, FiberRefs, HashMap, Layer, Logger, LogLevel } from "effect"
import type { Redacted } from "effect"
import { formatWithOptions } from "node:util"
import { redactText, redactValue, secretsOf } from "./Redaction.js"

export type LogFormat = "json" | "pretty"

/** Receives each formatted line (without trailing newline). */
export type LogSink = (line: string, level: LogLevel.LogLevel) => void

export interface LoggingOptions {
  readonly format: LogFormat
  /** Records below this level are dropped (default Info). */
  readonly level?: LogLevel.LogLevel
  /** Where lines go: default stdout. Tests pass a collector. */
  readonly sink?: LogSink
  /** ANSI colours for `pretty` (default: when stdout is a terminal). */
  readonly colors?: boolean
  /** Literal secrets to mask wherever they appear (configured passwords, webhook secrets, admin key). */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string> | string | undefined>
}

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`)
}

const levels: Record<string, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None,
  off: LogLevel.None
}

/** Parses `LOG_LEVEL` values: trace, debug, info, warn|warning, error, fatal, none|off, all. */
export const parseLevel = (text: string): LogLevel.LogLevel | undefined => levels[text.trim().toLowerCase()]

const sanitizeOptions = <M>(options: Logger.Logger.Options<M>, known: ReadonlyArray<string>): Logger.Logger.Options<unknown> => ({
  ...options,
  message: redactValue(options.message, known),
  annotations: HashMap.map(options.annotations, (value, key) => (redactValue({ [key]: value }, known) as Record<string, unknown>)[key])
})

/** A `Console` whose `unsafe` side writes redacted lines to the sink (for Effect's pretty logger). */
const sinkConsole = (base: Console.Console, sink: LogSink, level: LogLevel.LogLevel, colors: boolean, known: ReadonlyArray<string>): Console.Console => {
  let indent = ""
  const write = (...args: ReadonlyArray<unknown>) => {
    const text = formatWithOptions({ colors, depth: 6 }, ...args)
    for (const line of text.split("\n")) sink(redactText(indent + line, known), level)
  }
  const unsafe: Console.UnsafeConsole = {
    ...base.unsafe,
    log: write,
    info: write,
    warn: write,
    error: write,
    debug: write,
    trace: write,
    group: (...args) => {
      if (args.length > 0) write(...args)
      indent += "  "
    },
    groupCollapsed: (...args) => {
      if (args.length > 0) write(...args)
      indent += "  "
    },
    groupEnd: () => {
      indent = indent.slice(2)
    }
  }
  return { ...base, unsafe }
}

/** The logger: Effect's JSON or pretty logger, redacted, writing to the sink. */
export const makeLogger = (options: LoggingOptions): Logger.Logger<unknown, void> => {
  const sink = options.sink ?? stdoutSink
  const known = secretsOf(options.secrets ?? [])
  if (options.format === "json") {
    return Logger.make((input) => {
      const line = Logger.jsonLogger.log(sanitizeOptions(input, known))
      sink(redactText(line, known), input.logLevel)
    })
  }
  const colors = options.colors ?? (process.stdout.isTTY === true)
  const pretty = Logger.prettyLogger({ colors, mode: "tty" })
  return Logger.make((input) => {
    const services = FiberRefs.getOrDefault(input.context, DefaultServices.currentServices)
    const base = Context.get(services, Console.Console)
    const console = sinkConsole(base, sink, input.logLevel, colors, known)
    const context = FiberRefs.updateAs(input.context, {
      fiberId: input.fiberId._tag === "Composite" ? FiberId.none : input.fiberId,
      fiberRef: DefaultServices.currentServices,
      value: Context.add(services, Console.Console, console)
    })
    pretty.log({ ...sanitizeOptions(input, known), context })
  })
}

/**
 * Replaces Effect's default logger with the redacted one and sets the minimum level. Effect's tracer logger
 * stays in place, so logs inside a span also become span events.
 */
export const layer = (options: LoggingOptions): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.replace(Logger.defaultLogger, makeLogger(options)),
    Logger.minimumLogLevel(options.level ?? LogLevel.Info)
  )

/** `json` in production (`NODE_ENV=production`) or when stdout is not a terminal, `pretty` otherwise. */
export const defaultFormat = (): LogFormat =>
  process.env["NODE_ENV"] === "production" || process.stdout.isTTY !== true ? "json" : "pretty"

/**
 * The environment: `LOG_FORMAT` (json|pretty) and `LOG_LEVEL` (default info), one `Config` per option, so a caller
 * can spread it and add code options (`{ ...fromEnv, sink: Config.succeed(collect) }`). Invalid values fail at startup.
 */
export const fromEnv = {
  format: Config.literal("json", "pretty")("LOG_FORMAT").pipe(Config.withDefault(defaultFormat())),
  level: Config.string("LOG_LEVEL").pipe(
    Config.withDefault("info"),
    Config.mapOrFail((text) => {
      const level = parseLevel(text)
      return level === undefined
        ? Either.left(ConfigError.InvalidData([], "LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, none"))
        : Either.right(level)
    })
  )
} satisfies Config.Config.Wrap<LoggingOptions>

/** `fromEnv` as one `Config`. */
export const config: Config.Config<LoggingOptions> = Config.all(fromEnv)

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (a `Config.Config.Wrap`; `Config.succeed(value)` for a code-only option such as `sink` or
 * `secrets`); the environment (`fromEnv`) by default.
 */
export const layerConfig = (config: Config.Config.Wrap<LoggingOptions> = fromEnv): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Config.map(Config.unwrap<LoggingOptions>(config), layer))
