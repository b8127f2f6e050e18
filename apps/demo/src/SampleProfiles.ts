/** The demo's profiles: the sandbox's sample profiles, opted in to labelled demo numbers. */
import { fromInput, ProfileInput, type Profile } from "@guildpulse/core"
import { sampleProfileInputs, sampleProfileTokens } from "@guildpulse/connector-discord/sandbox"
import { Schema } from "effect"

// The sandbox demo opts in to labelled demo numbers until the first real ones (the default is "never").
const inputs: ReadonlyArray<typeof ProfileInput.Encoded> = sampleProfileInputs.map((input) => ({ ...input, fallback: { demo: "when-empty" } }))

export const sampleProfiles = (nowIso: string): ReadonlyArray<Profile> =>
  inputs.map((input) => fromInput(Schema.decodeUnknownSync(ProfileInput)(input), nowIso))

/** Bot tokens of the sandbox, per profile (kept in the engine's SecretVault, never shown). */
export const sampleTokens: Readonly<Record<string, string>> = sampleProfileTokens
