/** The demo's profiles: the sandbox's sample profiles, opted in to labelled demo numbers. */
import { fromInput, ProfileInput, type Profile } from "@guildpulse/core"
import { sampleProfileInputs as sandboxSamples, sampleProfileTokens } from "@guildpulse/connector-discord/sandbox"
import { Schema } from "effect"

// The sandbox demo opts in to labelled demo numbers until the first real ones (the default is "never").
export const sampleProfileInputs: ReadonlyArray<typeof ProfileInput.Encoded> = sandboxSamples.map((input) => ({ ...input, fallback: { demo: "when-empty" } }))

/** The same profiles, built (for servers assembled by hand, such as the console's browser test). */
export const sampleProfiles = (nowIso: string): ReadonlyArray<Profile> =>
  sampleProfileInputs.map((input) => fromInput(Schema.decodeUnknownSync(ProfileInput)(input), nowIso))

/** Bot tokens of the sandbox, per profile (kept in the engine's SecretVault, never shown). */
export const sampleTokens: Readonly<Record<string, string>> = sampleProfileTokens
