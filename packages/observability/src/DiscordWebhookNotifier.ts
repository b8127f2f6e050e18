/**
 * Discord webhook channel. The body is what Discord's "Execute Webhook" accepts: `username`, an `embeds`
 * array with one embed (`title` ≤ 256, `description` ≤ 4,096, ≤ 25 `fields` of `name` ≤ 256 / `value`
 * ≤ 1,024, `footer.text` ≤ 2,048, `timestamp` ISO 8601, integer `color`, 6,000 characters in all) and
 * `allowed_mentions: {parse: []}`, so that a server name like "@everyone" can never ping anybody.
 * Discord answers 204; a 429 carries `retry_after` (seconds), honoured by the retry policy.
 */
import type { Redacted } from "effect"
import type { Channel, NotifierMessage } from "./Notifier.js"
import { fields, headline, summary, truncate } from "./internal/format.js"
import { postJson } from "./internal/httpChannel.js"
import type { SafeUrlPolicy } from "./SafeUrl.js"

export interface DiscordWebhookOptions {
  readonly name?: string
  /** `https://discord.com/api/webhooks/<id>/<token>` */
  readonly url: Redacted.Redacted<string>
  /** The name the message is posted under (default "GuildPulse"). */
  readonly username?: string
  readonly avatarUrl?: string
  readonly policy?: SafeUrlPolicy
  readonly timeoutMs?: number
}

export interface DiscordEmbed {
  readonly title: string
  readonly description: string
  readonly color: number
  readonly fields: ReadonlyArray<{ readonly name: string; readonly value: string; readonly inline: boolean }>
  readonly footer: { readonly text: string }
  readonly timestamp: string
}

export interface DiscordPayload {
  readonly username: string
  readonly avatar_url?: string
  readonly allowed_mentions: { readonly parse: ReadonlyArray<never> }
  readonly embeds: ReadonlyArray<DiscordEmbed>
}

export const colors = {
  critical: 0xe74c3c,
  warning: 0xf1c40f,
  info: 0x3498db,
  resolved: 0x2ecc71,
  digest: 0x5865f2
} as const

const colorOf = (message: NotifierMessage): number =>
  message.kind === "digest" ? colors.digest : message.status === "resolved" ? colors.resolved : colors[message.severity]

const EMBED_TOTAL_MAX = 6000

export const payload = (message: NotifierMessage, options: { readonly username?: string; readonly avatarUrl?: string } = {}): DiscordPayload => {
  const title = truncate(headline(message), 256)
  const footer = truncate(message.kind === "digest" ? "GuildPulse weekly digest" : `GuildPulse · ${message.rule}`, 2048)
  let budget = EMBED_TOTAL_MAX - title.length - footer.length
  const description = truncate(summary(message), Math.min(4096, Math.max(0, budget - 1500)))
  budget -= description.length
  const embedFields: Array<{ name: string; value: string; inline: boolean }> = []
  for (const f of fields(message).slice(0, 25)) {
    const name = truncate(f.label, 256)
    const value = truncate(f.value === "" ? "—" : f.value, 1024)
    if (name.length + value.length > budget) break
    budget -= name.length + value.length
    embedFields.push({ name, value, inline: value.length <= 40 })
  }
  const timestamp = message.kind === "digest" ? message.period.to : message.status === "resolved" ? message.resolvedAt ?? message.startedAt : message.startedAt
  return {
    username: truncate(options.username ?? "GuildPulse", 80),
    ...(options.avatarUrl !== undefined ? { avatar_url: options.avatarUrl } : {}),
    allowed_mentions: { parse: [] },
    embeds: [{ title, description, color: colorOf(message), fields: embedFields, footer: { text: footer }, timestamp }]
  }
}

export const make = (options: DiscordWebhookOptions): Channel => {
  const name = options.name ?? "discord"
  const look = {
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.avatarUrl !== undefined ? { avatarUrl: options.avatarUrl } : {})
  }
  return {
    name,
    kind: "discord",
    deliver: (message) =>
      postJson({ channel: name, url: options.url, body: JSON.stringify(payload(message, look)), headers: {}, policy: options.policy, timeoutMs: options.timeoutMs })
  }
}
