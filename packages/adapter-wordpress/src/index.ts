/**
 * `@guildpulse/adapter-wordpress`: the WordPress plugin (built as `dist/guildpulse-wordpress.zip`), the legacy
 * plugin's attribute schema shared with the widget route, and the importer of its stored settings.
 */
export { ImportError, legacyProfileKey, MAIN_PROFILE_KEY, planImport } from "./Importer.js"
export type { ImportedProfile, ImportPlan } from "./Importer.js"
export { blockAttributes, fromLegacyAttributes, legacyAttributes, legacyQueryIgnored, parseWidgetQuery } from "@guildpulse/widget"
export type { LegacyAttributeSpec } from "@guildpulse/widget"
export { blockJson, BLOCK_NAME, LEGACY_BLOCK_NAME } from "./Block.js"
export { IMPORT_PATH, importRoute } from "./ImportRoute.js"
export type { ImportResult } from "./ImportRoute.js"
