/**
 * Alert delivery over channels: the core `Notifier` port implemented. A `Notifier` sends a message (an alert, its recovery, a weekly digest, a test) to
 * every configured channel — generic webhook, Slack, Discord webhook, e-mail — concurrently, each delivery
 * retried with exponential backoff and jitter (transient failures only: transport errors, timeouts, 408,
 * 429 honouring `Retry-After`, 5xx, SMTP 4xx), and reports every outcome as an `alert.sent` /
 * `alert.failed` event (the channel name in `source`, the notice id in `jobId`) and in
 * `guildpulse_alerts_sent_total{channel,rule,outcome}`. A failed delivery never fails the caller.
 */
import { Data, Duration, Effect, Layer, Metric, Schedule } from "effect"
import { EventLog, Notifier as NotifierPort } from "@guildpulse/core"
import { alertsSent } from "./Metrics.js"
import { redactText } from "./Redaction.js"

export type Severity = NotifierPort.Severity
export interface Detail extends NotifierPort.Detail {}
export interface AlertNotice extends NotifierPort.AlertNotice {}
export interface DigestIncident extends NotifierPort.DigestIncident {}
export interface DigestReport extends NotifierPort.DigestReport {}
export type NotifierMessage = AlertNotice | DigestReport
export interface DeliveryResult extends NotifierPort.DeliveryResult {}
export const ruleOf = NotifierPort.ruleOf
export const statusOf = NotifierPort.statusOf
/** The port (from core); `make`/`layer` below implement it over channels. */
export const Notifier = NotifierPort.Notifier
export type Notifier = NotifierPort.Notifier

/** A delivery that did not succeed. */
export class DeliveryError extends Data.TaggedError("DeliveryError")<{
  readonly channel: string
  readonly reason: "refused" | "rejected" | "transport" | "timeout" | "smtp" | "config"
  /** Worth another attempt (transport errors, timeouts, 408, 429, 5xx, SMTP 4xx). */
  readonly retryable: boolean
  readonly status?: number
  /** A wait announced by the receiver (429 `Retry-After`); a floor for the next attempt. */
  readonly retryAfterMs?: number
  readonly message: string
}> {}

export interface DeliveryReceipt {
  readonly status?: number
}

/** One destination. `deliver` is one attempt; the `Notifier` retries. */
export interface Channel {
  readonly name: string
  readonly kind: "webhook" | "slack" | "discord" | "email" | (string & {})
  readonly deliver: (message: NotifierMessage) => Effect.Effect<DeliveryReceipt, DeliveryError>
}

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  readonly maxRetries: number
  readonly baseDelayMs: number
  readonly factor: number
  readonly maxDelayMs: number
  /** A receiver asking to wait longer than this is not retried (default 120 s). */
  readonly maxRetryAfterMs: number
}

export const defaultRetryOptions: RetryOptions = {
  maxRetries: 3,
  baseDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000
}

/**
 * Exponential backoff with jitter, capped, at most `maxRetries`, retryable errors only, and never sooner than
 * a `Retry-After` the receiver announced.
 */
export const retrySchedule = (options: RetryOptions = defaultRetryOptions): Schedule.Schedule<unknown, DeliveryError> =>
  Schedule.exponential(Duration.millis(options.baseDelayMs), options.factor).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(options.maxDelayMs))),
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.intersect(Schedule.identity<DeliveryError>()),
    Schedule.modifyDelay(([, error], delay) =>
      error.retryAfterMs !== undefined ? Duration.max(delay, Duration.millis(error.retryAfterMs)) : delay
    ),
    Schedule.whileInput((error: DeliveryError) => error.retryable && (error.retryAfterMs ?? 0) <= options.maxRetryAfterMs)
  )

export interface NotifierOptions {
  readonly retry?: Partial<RetryOptions>
}

export const make = (channels: ReadonlyArray<Channel>, options: NotifierOptions = {}) =>
  Effect.gen(function* () {
    const events = yield* EventLog.EventLog
    const schedule = retrySchedule({ ...defaultRetryOptions, ...options.retry })

    const deliver = (channel: Channel, message: NotifierMessage): Effect.Effect<DeliveryResult> =>
      Effect.gen(function* () {
        let attempts = 0
        const attempt = Effect.suspend(() => {
          attempts += 1
          return channel.deliver(message)
        })
        const result = yield* Effect.either(Effect.retry(attempt, schedule))
        const rule = ruleOf(message)
        const outcome = statusOf(message)
        const profile = message.profile === "*" ? {} : { profile: message.profile }
        const title = message.kind === "digest" ? `weekly digest of ${message.profile}` : message.title
        if (result._tag === "Right") {
          yield* Metric.increment(Metric.tagged(Metric.tagged(Metric.tagged(alertsSent, "channel", channel.name), "rule", rule), "outcome", "sent"))
          yield* events.emit({
            level: "info",
            type: "alert.sent",
            ...profile,
            source: channel.name,
            outcome,
            attempt: attempts,
            jobId: message.id,
            ...(result.right.status !== undefined ? { status: result.right.status } : {}),
            message: `${channel.kind} channel '${channel.name}' delivered ${outcome} "${title}"${attempts > 1 ? ` after ${attempts} attempts` : ""}`
          })
          yield* Effect.annotateCurrentSpan({ outcome: "sent", attempts })
          return {
            channel: channel.name,
            kind: channel.kind,
            ok: true,
            attempts,
            ...(result.right.status !== undefined ? { status: result.right.status } : {})
          }
        }
        const error = result.left
        const reason = redactText(error.message)
        yield* Metric.increment(Metric.tagged(Metric.tagged(Metric.tagged(alertsSent, "channel", channel.name), "rule", rule), "outcome", "failed"))
        yield* events.emit({
          level: "error",
          type: "alert.failed",
          ...profile,
          source: channel.name,
          outcome,
          attempt: attempts,
          jobId: message.id,
          ...(error.status !== undefined ? { status: error.status } : {}),
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
          message: `${channel.kind} channel '${channel.name}' failed to deliver ${outcome} "${title}" after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${error.reason}: ${reason}`
        })
        yield* Effect.annotateCurrentSpan({ outcome: "failed", attempts, "error.reason": error.reason })
        return {
          channel: channel.name,
          kind: channel.kind,
          ok: false,
          attempts,
          ...(error.status !== undefined ? { status: error.status } : {}),
          error: `${error.reason}: ${reason}`
        }
      }).pipe(
        Effect.withSpan("Notifier.deliver", {
          attributes: { channel: channel.name, "channel.kind": channel.kind, rule: ruleOf(message), "alert.status": statusOf(message), profile: message.profile }
        })
      )

    return Notifier.of({
      channels: channels.map((c) => ({ name: c.name, kind: c.kind })),
      send: (message, sendOptions) => {
        const targets = sendOptions?.channels === undefined ? channels : channels.filter((c) => sendOptions.channels!.includes(c.name))
        return Effect.forEach(targets, (channel) => deliver(channel, message), { concurrency: "unbounded" })
      }
    })
  })

export const layer = (channels: ReadonlyArray<Channel>, options?: NotifierOptions): Layer.Layer<Notifier, never, EventLog.EventLog> =>
  Layer.effect(Notifier, make(channels, options))

/** A channel that keeps what it is sent — the "recording notifier" for tests and previews. */
export const recordingChannel = (name = "recording"): { readonly channel: Channel; readonly messages: Array<NotifierMessage> } => {
  const messages: Array<NotifierMessage> = []
  return {
    messages,
    channel: { name, kind: "recording", deliver: (message) => Effect.sync(() => (messages.push(message), {})) }
  }
}
