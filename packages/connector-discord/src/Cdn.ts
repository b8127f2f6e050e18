/**
 * Discord CDN image URLs (pure). An `a_` hash prefix marks an animated image, served as `.gif`;
 * `size` is a power of two from 16 to 4096.
 */
import { DEFAULT_CDN_URL } from "./DiscordConfig.js"

const extension = (hash: string): string => (hash.startsWith("a_") ? "gif" : "png")

const image = (cdnUrl: string, path: string, hash: string, size: number): string =>
  `${cdnUrl}/${path}/${encodeURIComponent(hash)}.${extension(hash)}?size=${size}`

/** `https://cdn.discordapp.com/icons/{guild_id}/{hash}.png?size=…` (`.gif` for `a_` hashes). */
export const guildIconUrl = (guildId: string, hash: string, size: number, cdnUrl: string = DEFAULT_CDN_URL): string =>
  image(cdnUrl, `icons/${guildId}`, hash, size)

/** `https://cdn.discordapp.com/banners/{guild_id}/{hash}.png?size=…` (`.gif` for `a_` hashes). */
export const guildBannerUrl = (guildId: string, hash: string, size: number, cdnUrl: string = DEFAULT_CDN_URL): string =>
  image(cdnUrl, `banners/${guildId}`, hash, size)

/** A user's avatar, or Discord's default avatar when the user has none. */
export const userAvatarUrl = (
  user: { readonly id: string; readonly avatar?: string | null | undefined; readonly discriminator?: string | undefined },
  size: number,
  cdnUrl: string = DEFAULT_CDN_URL
): string => {
  if (user.avatar !== undefined && user.avatar !== null) return image(cdnUrl, `avatars/${user.id}`, user.avatar, size)
  return defaultAvatarUrl(user, cdnUrl)
}

/**
 * `https://cdn.discordapp.com/embed/avatars/{index}.png`: index = discriminator mod 5 for legacy usernames,
 * (id >> 22) mod 6 for the new ones (discriminator "0").
 */
export const defaultAvatarUrl = (
  user: { readonly id: string; readonly discriminator?: string | undefined },
  cdnUrl: string = DEFAULT_CDN_URL
): string => {
  const discriminator = Number(user.discriminator ?? "0")
  let index = 0
  if (Number.isInteger(discriminator) && discriminator > 0) index = discriminator % 5
  else if (/^\d+$/.test(user.id)) index = Number((BigInt(user.id) >> 22n) % 6n)
  return `${cdnUrl}/embed/avatars/${index}.png`
}
