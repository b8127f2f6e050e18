#!/usr/bin/env node
// Runs the FakeDiscord sandbox: guildpulse-sandbox [--port 8788] [--host 127.0.0.1]
// Uses the built package (dist/); without a build it falls back to the TypeScript sources through tsx.
import { existsSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { parseArgs } from "node:util"

const USAGE = `Usage: guildpulse-sandbox [--port <port>] [--host <host>]

  --port <port>   port to listen on (default 8788, 0 = any free port)
  --host <host>   interface to bind (default 127.0.0.1)
  --help          show this help`

/** The command line as options; throws an Error with a one-line message for a bad flag or value. */
const readOptions = (argv) => {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: { port: { type: "string" }, host: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false
    })
  } catch (error) {
    // node:util's messages are long and suggest `--`; say what is wrong in one line instead.
    const flag = /'(?:-\w, )?(-{1,2}[^' ,]+)/.exec(error.message)?.[1]
    switch (error.code) {
      case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
        throw new Error(`unknown option '${flag ?? "?"}'`)
      case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
        throw new Error(/argument missing/.test(error.message) ? `${flag} needs a value` : `${flag} takes no value`)
      case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
        throw new Error(`unexpected argument '${/'([^']*)'/.exec(error.message)?.[1] ?? "?"}' (flags only)`)
      default:
        throw error
    }
  }
  const { values } = parsed
  if (values.help === true) return { help: true }
  const options = { help: false, port: 8788, host: "127.0.0.1" }
  if (values.port !== undefined) {
    const port = Number(values.port)
    if (!/^\d+$/.test(values.port) || port > 65535) throw new Error(`--port must be an integer 0-65535, got '${values.port}'`)
    options.port = port
  }
  if (values.host !== undefined) {
    if (values.host.trim() === "") throw new Error("--host needs a value")
    options.host = values.host
  }
  return options
}

const loadSandbox = async () => {
  const dist = fileURLToPath(new URL("../dist/sandbox/index.js", import.meta.url))
  if (existsSync(dist)) return import(pathToFileURL(dist).href)
  const source = fileURLToPath(new URL("../src/sandbox/index.ts", import.meta.url))
  try {
    const { tsImport } = await import("tsx/esm/api")
    return await tsImport(pathToFileURL(source).href, import.meta.url)
  } catch (error) {
    throw new Error(`dist/ is missing and the TypeScript fallback failed (run \`npm run build\` first): ${error.message}`)
  }
}

const main = async () => {
  let options
  try {
    options = readOptions(process.argv.slice(2))
  } catch (error) {
    console.error(`guildpulse-sandbox: ${error.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (options.help) {
    console.log(USAGE)
    return
  }
  const sandbox = await loadSandbox()
  const server = await sandbox.FakeDiscord.start({ port: options.port, host: options.host })
  const { fixtures } = server
  const lines = [
    `FakeDiscord sandbox listening on ${server.url}`,
    `  API base:    ${server.apiUrl}   (e.g. DISCORD_API_BASE_URL=${server.apiUrl})`,
    `  CDN base:    ${server.cdnUrl}   (e.g. DISCORD_CDN_URL=${server.cdnUrl}: guild icons served by the sandbox)`,
    `  control:     PUT ${server.url}/__sandbox/scenario · GET ${server.url}/__sandbox/stats · POST ${server.url}/__sandbox/reset`,
    "",
    "Guilds:"
  ]
  for (const guild of fixtures.guilds) {
    const invites = fixtures.invites.filter((i) => i.guildId === guild.id).map((i) => i.code)
    const bots = fixtures.bots.filter((b) => b.guildIds.includes(guild.id)).length
    lines.push(
      `  ${guild.id.padEnd(20)} ${guild.name.padEnd(26)} widget ${guild.widgetEnabled ? "on " : "off"}  bots ${bots}  invites ${invites.join(", ") || "-"}`
    )
  }
  lines.push("", "Bot tokens (sandbox-only, not Discord tokens):")
  for (const bot of fixtures.bots) lines.push(`  ${bot.user.username.padEnd(22)} ${bot.token}`)
  lines.push("", "Stop with Ctrl+C.")
  console.log(lines.join("\n"))

  let stopping = false
  const shutdown = (signal) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal} received, stopping sandbox`)
    server.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`guildpulse-sandbox: error while stopping: ${error.message}`)
        process.exit(1)
      }
    )
  }
  process.on("SIGINT", () => shutdown("SIGINT"))
  process.on("SIGTERM", () => shutdown("SIGTERM"))
}

main().catch((error) => {
  console.error(`guildpulse-sandbox: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
