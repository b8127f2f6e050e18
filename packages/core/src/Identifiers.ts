/**
 * Identifiers of the domain: profile keys, Discord guild ids (snowflakes) and invite codes.
 */
import { Schema } from "effect"

/** The one pattern of a profile key: lower-case, url-safe, 1–64 characters, starting with a letter or digit. */
export const profileKeyPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/

/** A profile's key: lower-case, url-safe, 1–64 characters. */
export const ProfileKey = Schema.String.pipe(
  Schema.pattern(profileKeyPattern, {
    message: () => "must be 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit"
  }),
  Schema.brand("ProfileKey")
)
export type ProfileKey = typeof ProfileKey.Type

/** Whether a value is a profile key (a regex test, cheap enough for hot paths). */
export const isProfileKey = (value: unknown): value is ProfileKey => typeof value === "string" && profileKeyPattern.test(value)

/** A Discord guild id: a snowflake of 17 to 20 digits. */
export const GuildId = Schema.String.pipe(
  Schema.pattern(/^\d{17,20}$/, { message: () => "must be a Discord snowflake (17-20 digits)" }),
  Schema.brand("GuildId")
)
export type GuildId = typeof GuildId.Type

const inviteCodePattern = /^[A-Za-z0-9-]{2,64}$/
const invitePrefixes = [
  /^(?:https?:\/\/)?(?:www\.)?discord(?:app)?\.com\/invite\//i,
  /^(?:https?:\/\/)?(?:www\.)?discord\.gg\//i
]

/** Strips `discord.gg/`, `https://discord.com/invite/` and friends, query and fragment; returns the bare code. */
export const normalizeInviteCode = (input: string): string => {
  let code = input.trim()
  for (const prefix of invitePrefixes) code = code.replace(prefix, "")
  return code.replace(/[?#].*$/, "").replace(/\/+$/, "")
}

/** The bare invite code (after normalisation). */
export const InviteCodeBare = Schema.String.pipe(
  Schema.pattern(inviteCodePattern, { message: () => "must be a Discord invite code such as 'abc123'" }),
  Schema.brand("InviteCode")
)
export type InviteCode = typeof InviteCodeBare.Type

/**
 * An invite code accepting `abc`, `discord.gg/abc` and `https://discord.com/invite/abc`;
 * decodes to the normalised code, encodes to the code.
 */
export const InviteCode: Schema.Schema<InviteCode, string> = Schema.transform(
  Schema.String,
  Schema.String,
  { strict: true, decode: normalizeInviteCode, encode: (code) => code }
).pipe(Schema.compose(InviteCodeBare))
