/** Profiles `serve --sandbox` shows when the config file has none: the sandbox's sample profiles. */
import type { ProfileInput } from "@guildpulse/core"
import { sampleProfileInputs, sampleProfileTokens } from "@guildpulse/connector-discord/sandbox"
import { Redacted } from "effect"

export const sandboxProfiles: ReadonlyArray<typeof ProfileInput.Encoded> = sampleProfileInputs

export const sandboxTokens = (): ReadonlyMap<string, Redacted.Redacted<string>> =>
  new Map(Object.entries(sampleProfileTokens).map(([profile, token]) => [profile, Redacted.make(token)]))
