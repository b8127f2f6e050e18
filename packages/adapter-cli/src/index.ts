/**
 * @guildpulse/cli — the `guildpulse` command and its building blocks (config file schema, settings,
 * the production composition).
 */
export * as Cli from "./Cli.js"
export * as CliError from "./CliError.js"
export * as Composition from "./Composition.js"
export * as ConfigFile from "./ConfigFile.js"
export * as Sandboxed from "./Sandboxed.js"
export * as Settings from "./Settings.js"
