/**
 * E-mail channel over SMTP with nodemailer. `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…:465`) is a
 * secret (it carries the password) and is only ever handed to the transport. Each message has a plain-text
 * and an HTML part (everything from outside HTML-escaped). SMTP 4xx answers and connection failures are
 * retried; 5xx and authentication failures are not.
 */
import { Html } from "@guildpulse/core"
import { Effect, Redacted } from "effect"
import type { Scope } from "effect"
import nodemailer from "nodemailer"
import type { Transporter } from "nodemailer"
import { DeliveryError } from "./Notifier.js"
import type { Channel, NotifierMessage } from "./Notifier.js"
import { fields, headline, plainText, summary } from "./internal/format.js"
import { redactText } from "./Redaction.js"

export interface EmailOptions {
  readonly name?: string
  /** `smtp://user:pass@host:port` or `smtps://…` (nodemailer connection URL). */
  readonly smtpUrl: Redacted.Redacted<string>
  readonly from: string
  readonly to: ReadonlyArray<string>
  /** Extra transport options (e.g. `{ tls: { rejectUnauthorized: false } }` for a test server). */
  readonly transport?: Readonly<Record<string, unknown>>
  readonly subjectPrefix?: string
}

/** Core's one HTML escape (kept under this name for callers of this module). */
export const escapeHtml: (text: string) => string = Html.escape

export interface EmailContent {
  readonly subject: string
  readonly text: string
  readonly html: string
}

export const content = (message: NotifierMessage, subjectPrefix = "[GuildPulse]"): EmailContent => {
  const rows = fields(message)
    .map((f) => `<tr><th align="left" style="padding:4px 12px 4px 0">${escapeHtml(f.label)}</th><td style="padding:4px 0">${escapeHtml(f.value)}</td></tr>`)
    .join("")
  const html = [
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1f2328">`,
    `<h2 style="margin:0 0 12px">${escapeHtml(headline(message))}</h2>`,
    `<p style="white-space:pre-line">${escapeHtml(summary(message))}</p>`,
    `<table style="border-collapse:collapse">${rows}</table>`,
    `<p style="color:#656d76;font-size:12px">Sent by GuildPulse.</p>`,
    `</body></html>`
  ].join("")
  return { subject: `${subjectPrefix} ${headline(message)}`.replace(/[\r\n]+/g, " ").slice(0, 250), text: plainText(message), html }
}

interface SmtpError {
  readonly code?: string
  readonly responseCode?: number
  readonly message?: string
}

const classify = (channel: string, error: unknown): DeliveryError => {
  const e = (typeof error === "object" && error !== null ? error : {}) as SmtpError
  const responseCode = typeof e.responseCode === "number" ? e.responseCode : undefined
  const transient =
    (responseCode !== undefined && responseCode >= 400 && responseCode < 500) ||
    (responseCode === undefined && ["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNRESET", "ECONNREFUSED"].includes(e.code ?? ""))
  return new DeliveryError({
    channel,
    reason: "smtp",
    retryable: transient,
    ...(responseCode !== undefined ? { status: responseCode } : {}),
    message: redactText(`${e.code ?? "SMTP"}: ${e.message ?? String(error)}`)
  })
}

/** The channel; the SMTP transport is closed with the scope. */
export const make = (options: EmailOptions): Effect.Effect<Channel, never, Scope.Scope> =>
  Effect.gen(function* () {
    const name = options.name ?? "email"
    const transporter: Transporter = yield* Effect.acquireRelease(
      Effect.sync(() => nodemailer.createTransport({ url: Redacted.value(options.smtpUrl), ...options.transport } as Parameters<typeof nodemailer.createTransport>[0])),
      (t) => Effect.sync(() => t.close())
    )
    // Recipients still owed a message, per message id: a retry after a partial rejection (one mailbox answered
    // 450) goes to those only, so that nobody gets the alert twice.
    const pending = new Map<string, ReadonlyArray<string>>()
    return {
      name,
      kind: "email",
      deliver: (message) =>
        Effect.gen(function* () {
          const to = pending.get(message.id) ?? options.to
          const mail = content(message, options.subjectPrefix)
          const info = yield* Effect.tryPromise({
            try: () =>
              transporter.sendMail({
                from: options.from,
                to: [...to],
                subject: mail.subject,
                text: mail.text,
                html: mail.html,
                headers: { "X-GuildPulse-Delivery": message.id }
              }) as Promise<{ readonly rejected?: ReadonlyArray<string | { readonly address: string }>; readonly rejectedErrors?: ReadonlyArray<SmtpError> }>,
            catch: (error) => {
              const classified = classify(name, error)
              if (!classified.retryable) pending.delete(message.id)
              return classified
            }
          })
          const rejected = (info.rejected ?? []).map((r) => (typeof r === "string" ? r : r.address))
          if (rejected.length === 0) {
            pending.delete(message.id)
            return {}
          }
          const transient = (info.rejectedErrors ?? []).every((e) => typeof e.responseCode === "number" && e.responseCode < 500)
          if (transient) {
            if (pending.size > 1_000) pending.clear()
            pending.set(message.id, rejected)
          } else pending.delete(message.id)
          return yield* new DeliveryError({
            channel: name,
            reason: "smtp",
            retryable: transient,
            message: `${rejected.length} of ${to.length} recipient(s) refused`
          })
        })
    } satisfies Channel
  })
