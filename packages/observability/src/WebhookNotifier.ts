/**
 * Generic webhook channel: a signed JSON POST.
 *
 * Body: `{"type": "alert.firing" | "alert.resolved" | "alert.test" | "digest", "id", "sentAt", "data": <the
 * AlertNotice or DigestReport>}`. Headers: `Content-Type: application/json`, `X-GuildPulse-Event: <type>`,
 * `X-GuildPulse-Delivery: <id>` (the same on every retry: de-duplicate on it), and
 * `X-GuildPulse-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, signed afresh per attempt.
 * Verify with `WebhookSignature.verify`.
 */
import { Clock, Effect, Redacted } from "effect"
import type { Channel, NotifierMessage } from "./Notifier.js"
import { statusOf } from "./Notifier.js"
import { postJson } from "./internal/httpChannel.js"
import type { SafeUrlPolicy } from "./SafeUrl.js"
import * as WebhookSignature from "./WebhookSignature.js"

export interface WebhookOptions {
  readonly name?: string
  /** The receiver (https; see `SafeUrl` for the allow-list). */
  readonly url: Redacted.Redacted<string>
  /** Signing secret; several while rotating. */
  readonly secret: Redacted.Redacted<string> | ReadonlyArray<Redacted.Redacted<string>>
  readonly policy?: SafeUrlPolicy
  readonly timeoutMs?: number
}

export type WebhookEventType = "alert.firing" | "alert.resolved" | "alert.test" | "digest"

export interface WebhookPayload {
  readonly type: WebhookEventType
  readonly id: string
  readonly sentAt: string
  readonly data: NotifierMessage
}

export const eventType = (message: NotifierMessage): WebhookEventType => {
  const status = statusOf(message)
  return status === "digest" ? "digest" : status === "test" ? "alert.test" : status === "firing" ? "alert.firing" : "alert.resolved"
}

export const payload = (message: NotifierMessage, sentAtMs: number): WebhookPayload => ({
  type: eventType(message),
  id: message.id,
  sentAt: new Date(sentAtMs).toISOString(),
  data: message
})

export const make = (options: WebhookOptions): Channel => {
  const name = options.name ?? "webhook"
  const secrets = Array.isArray(options.secret) ? options.secret : [options.secret as Redacted.Redacted<string>]
  return {
    name,
    kind: "webhook",
    deliver: (message) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const body = JSON.stringify(payload(message, now))
        const signature = WebhookSignature.sign({ secret: secrets, timestamp: Math.floor(now / 1000), body })
        return yield* postJson({
          channel: name,
          url: options.url,
          body,
          headers: {
            [WebhookSignature.HEADER]: signature,
            "X-GuildPulse-Event": eventType(message),
            "X-GuildPulse-Delivery": message.id
          },
          policy: options.policy,
          timeoutMs: options.timeoutMs
        })
      })
  }
}
