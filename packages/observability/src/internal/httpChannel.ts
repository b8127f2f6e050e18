/** One JSON POST through the SSRF guard, with the answer classified for the retry policy. */
import { Effect } from "effect"
import type { Redacted } from "effect"
import { DeliveryError, type DeliveryReceipt } from "../Notifier.js"
import * as SafeUrl from "../SafeUrl.js"

/** `Retry-After` (seconds or HTTP date) or a JSON body's `retry_after` (seconds, Discord and Slack). */
export const retryAfterMs = (headers: SafeUrl.SafeResponse["headers"], body: string, nowMs: number): number | undefined => {
  const header = headers["retry-after"]
  const value = Array.isArray(header) ? header[0] : header
  if (typeof value === "string" && value.trim() !== "") {
    const seconds = Number(value)
    if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000))
    const date = Date.parse(value)
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs)
  }
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === "object" && parsed !== null && "retry_after" in parsed) {
      const seconds = Number((parsed as { retry_after: unknown }).retry_after)
      if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000))
    }
  } catch {
    // not JSON
  }
  return undefined
}

export const postJson = (options: {
  readonly channel: string
  readonly url: Redacted.Redacted<string>
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  readonly policy: SafeUrl.SafeUrlPolicy | undefined
  readonly timeoutMs: number | undefined
}): Effect.Effect<DeliveryReceipt, DeliveryError> =>
  SafeUrl.request(
    options.url,
    {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "GuildPulse-Notifier/1", ...options.headers },
      body: options.body,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {})
    },
    options.policy
  ).pipe(
    Effect.catchTags({
      UnsafeUrl: (error) =>
        Effect.fail(new DeliveryError({ channel: options.channel, reason: "refused", retryable: false, message: error.message })),
      RequestFailed: (error) =>
        Effect.fail(new DeliveryError({ channel: options.channel, reason: error.reason, retryable: true, message: error.message }))
    }),
    Effect.flatMap((res) =>
      Effect.gen(function* () {
        if (res.status >= 200 && res.status < 300) return { status: res.status }
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        const wait = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers, res.body, now) : undefined
        const retryable = res.status === 408 || res.status === 429 || res.status >= 500
        const detail = res.body.slice(0, 200).replace(/\s+/g, " ").trim()
        return yield* new DeliveryError({
          channel: options.channel,
          reason: "rejected",
          retryable,
          status: res.status,
          ...(wait !== undefined ? { retryAfterMs: wait } : {}),
          message: `HTTP ${res.status}${detail !== "" ? `: ${detail}` : ""}`
        })
      })
    )
  )
