import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import type { AddressInfo } from "node:net"
import { SMTPServer } from "smtp-server"
import { EventLog, ProfileKey } from "@guildpulse/core"
import * as EmailNotifier from "../src/EmailNotifier.js"
import * as Notifier from "../src/Notifier.js"
import type { AlertNotice } from "../src/Notifier.js"

interface Mail {
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly data: string
  readonly user: string | undefined
}

const notice: AlertNotice = {
  kind: "alert",
  id: "refresh_dead_lettered:main:1",
  status: "firing",
  rule: "refresh_dead_lettered",
  profile: ProfileKey.make("main"),
  profileLabel: "<script>alert(1)</script>",
  severity: "critical",
  title: "Refresh dead-lettered",
  summary: "The refresh job failed 8 times in a row and is parked.",
  details: [{ label: "Failures in a row", value: "8" }],
  startedAt: "2025-11-25T12:00:00.000Z",
  dedupKey: "refresh_dead_lettered:main"
}

/** A header of a raw message, unfolded, with RFC 2047 encoded words decoded. */
const header = (raw: string, name: string): string | undefined => {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ")
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`))
  if (line === undefined) return undefined
  return line
    .slice(name.length + 1)
    .trim()
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8"))
}

describe("EmailNotifier (SMTP, nodemailer) against a local SMTP server", () => {
  const mails: Array<Mail> = []
  let port = 0
  let server: SMTPServer
  let failNext = 0
  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      authOptional: false,
      onAuth: (auth, _session, callback) =>
        auth.username === "alerts" && auth.password === "smtp-pass-123" ? callback(null, { user: "alerts" }) : callback(new Error("Invalid login")),
      onRcptTo: (_address, _session, callback) => {
        if (failNext > 0) {
          failNext -= 1
          const error = Object.assign(new Error("Mailbox busy, try later"), { responseCode: 450 })
          return callback(error)
        }
        callback()
      },
      onData: (stream, session, callback) => {
        const chunks: Array<Buffer> = []
        stream.on("data", (c: Buffer) => chunks.push(c))
        stream.on("end", () => {
          mails.push({
            from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString("utf8"),
            user: typeof session.user === "string" ? session.user : undefined
          })
          callback()
        })
      }
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
    port = (server.server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it.live("delivers a multipart mail with escaped HTML; a mailbox answering 450 is retried alone", () =>
    Effect.gen(function* () {
      const channel = yield* EmailNotifier.make({
        smtpUrl: Redacted.make(`smtp://alerts:smtp-pass-123@127.0.0.1:${port}`),
        from: "GuildPulse <alerts@guildpulse.test>",
        to: ["ops@guildpulse.test", "oncall@guildpulse.test"],
        transport: { ignoreTLS: true }
      })
      const results = yield* Effect.gen(function* () {
        const notifier = yield* Notifier.Notifier
        failNext = 1
        return yield* notifier.send(notice)
      }).pipe(Effect.provide(Notifier.layer([channel], { retry: { baseDelayMs: 5 } }).pipe(Layer.provide(EventLog.layerMemory()))))
      assert.deepStrictEqual(results.map((r) => [r.kind, r.ok, r.attempts]), [["email", true, 2]])
      // The first attempt reached oncall (ops answered 450); the retry went to ops only: one mail each.
      assert.deepStrictEqual(mails.map((m) => m.to), [["oncall@guildpulse.test"], ["ops@guildpulse.test"]])
      const mail = mails[1]!
      assert.strictEqual(mail.user, "alerts")
      assert.strictEqual(mail.from, "alerts@guildpulse.test")
      assert.strictEqual(header(mail.data, "subject"), "[GuildPulse] [FIRING] Refresh dead-lettered — <script>alert(1)</script> (main)")
      assert.strictEqual(header(mail.data, "x-guildpulse-delivery"), "refresh_dead_lettered:main:1")
      assert.match(mail.data, /Content-Type: multipart\/alternative/)
      assert.match(mail.data, /Content-Type: text\/plain/)
      assert.match(mail.data, /Content-Type: text\/html/)
      assert.include(mail.data, "&lt;script&gt;")
      assert.notInclude(mail.data.replace(/=\r?\n/g, ""), "<script>alert(1)</script></h2>")
    }).pipe(Effect.scoped))

  it.live("a wrong password is not retried and is reported without the password", () =>
    Effect.gen(function* () {
      const channel = yield* EmailNotifier.make({
        smtpUrl: Redacted.make(`smtp://alerts:wrong-password-999@127.0.0.1:${port}`),
        from: "alerts@guildpulse.test",
        to: ["ops@guildpulse.test"],
        transport: { ignoreTLS: true }
      })
      const outcome = yield* Effect.either(channel.deliver(notice))
      assert.strictEqual(outcome._tag, "Left")
      if (outcome._tag === "Left") {
        assert.isFalse(outcome.left.retryable)
        assert.notInclude(outcome.left.message, "wrong-password-999")
      }
    }).pipe(Effect.scoped))
})
