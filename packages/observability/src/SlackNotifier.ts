/**
 * Slack incoming-webhook channel. The body is what Slack's incoming webhooks accept: a `text` fallback (shown
 * in notifications) and Block Kit `blocks` — a `header` (plain text, ≤ 150 characters), a `section` with the
 * summary (mrkdwn, ≤ 3,000), a `section` of `fields` (≤ 10, each ≤ 2,000) and a `context` line. Text from
 * outside (server names) is escaped for mrkdwn (`&`, `<`, `>`), so it cannot forge links or mentions.
 */
import type { Redacted } from "effect"
import type { Channel, NotifierMessage } from "./Notifier.js"
import { fields, headline, plainText, summary, truncate } from "./internal/format.js"
import { postJson } from "./internal/httpChannel.js"
import type { SafeUrlPolicy } from "./SafeUrl.js"

export interface SlackOptions {
  readonly name?: string
  /** `https://hooks.slack.com/services/…` */
  readonly url: Redacted.Redacted<string>
  readonly policy?: SafeUrlPolicy
  readonly timeoutMs?: number
}

export interface SlackText {
  readonly type: "plain_text" | "mrkdwn"
  readonly text: string
  readonly emoji?: boolean
}

export type SlackBlock =
  | { readonly type: "header"; readonly text: SlackText }
  | { readonly type: "section"; readonly text: SlackText }
  | { readonly type: "section"; readonly fields: ReadonlyArray<SlackText> }
  | { readonly type: "context"; readonly elements: ReadonlyArray<SlackText> }
  | { readonly type: "divider" }

export interface SlackPayload {
  readonly text: string
  readonly blocks: ReadonlyArray<SlackBlock>
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export const escapeMrkdwn = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const emoji = (message: NotifierMessage): string =>
  message.kind === "digest"
    ? ":bar_chart:"
    : message.test === true
    ? ":test_tube:"
    : message.status === "resolved"
    ? ":white_check_mark:"
    : message.severity === "critical"
    ? ":rotating_light:"
    : ":warning:"

const footer = (message: NotifierMessage): string =>
  message.kind === "digest"
    ? `GuildPulse weekly digest · ${message.period.from} → ${message.period.to}`
    : `GuildPulse · rule ${message.rule} · ${message.status === "resolved" ? `resolved ${message.resolvedAt ?? ""}` : `since ${message.startedAt}`}`

export const payload = (message: NotifierMessage): SlackPayload => ({
  text: truncate(escapeMrkdwn(headline(message)), 3000),
  blocks: [
    { type: "header", text: { type: "plain_text", text: truncate(`${emoji(message)} ${headline(message)}`, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: truncate(escapeMrkdwn(summary(message)), 3000) } },
    {
      type: "section",
      fields: fields(message)
        .slice(0, 10)
        .map((f) => ({ type: "mrkdwn" as const, text: truncate(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, 2000) }))
    },
    { type: "context", elements: [{ type: "mrkdwn", text: truncate(escapeMrkdwn(footer(message)), 3000) }] }
  ]
})

/** Plain text of the same message (kept for channels that cannot show blocks). */
export const fallbackText = plainText

export const make = (options: SlackOptions): Channel => {
  const name = options.name ?? "slack"
  return {
    name,
    kind: "slack",
    deliver: (message) =>
      postJson({ channel: name, url: options.url, body: JSON.stringify(payload(message)), headers: {}, policy: options.policy, timeoutMs: options.timeoutMs })
  }
}
