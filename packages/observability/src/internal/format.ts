/** Shared wording of notifier messages: titles, fields and plain-text bodies for every channel. */
import type { AlertNotice, Detail, DigestReport, NotifierMessage } from "../Notifier.js"

export const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`)

const profileName = (message: NotifierMessage): string =>
  message.profile === "*" ? "all profiles" : message.profileLabel !== undefined && message.profileLabel !== message.profile
    ? `${message.profileLabel} (${message.profile})`
    : message.profile

export const statusWord = (notice: AlertNotice): string =>
  notice.test === true ? "TEST" : notice.status === "firing" ? "FIRING" : "RESOLVED"

/** `[FIRING] Data is stale — main` */
export const headline = (message: NotifierMessage): string =>
  message.kind === "digest"
    ? `Weekly digest — ${profileName(message)}`
    : `[${statusWord(message)}] ${message.title} — ${profileName(message)}`

const num = (value: number | null, digits = 0): string =>
  value === null ? "n/a" : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 })

const pct = (value: number | null, digits = 1): string => (value === null ? "n/a" : `${(value * 100).toFixed(digits)} %`)

const signed = (value: number | null, digits = 0): string => (value === null ? "n/a" : `${value >= 0 ? "+" : ""}${num(value, digits)}`)

export const day = (iso: string): string => iso.slice(0, 10)

/** The fields shown for a message (label/value pairs). */
export const fields = (message: NotifierMessage): ReadonlyArray<Detail> => {
  if (message.kind === "alert") {
    return [
      { label: "Profile", value: profileName(message) },
      { label: "Severity", value: message.severity },
      { label: "Rule", value: message.rule },
      { label: message.status === "resolved" ? "Lasted" : "Since", value: message.status === "resolved" && message.resolvedAt !== undefined
        ? duration(Date.parse(message.resolvedAt) - Date.parse(message.startedAt))
        : message.startedAt },
      ...message.details
    ]
  }
  return digestFields(message)
}

export const digestFields = (digest: DigestReport): ReadonlyArray<Detail> => [
  { label: "Period", value: `${day(digest.period.from)} → ${day(digest.period.to)}` },
  { label: "Online (avg / peak)", value: `${num(digest.online.average)} / ${num(digest.online.peak)}` },
  { label: "Members (avg / peak)", value: `${num(digest.members.average)} / ${num(digest.members.peak)}` },
  {
    label: "Member growth",
    value: `${signed(digest.members.growth)} (${digest.members.growthPercent === null ? "n/a" : `${digest.members.growthPercent >= 0 ? "+" : ""}${digest.members.growthPercent.toFixed(1)} %`})`
  },
  { label: "Fresh data uptime", value: pct(digest.freshUptime, 2) },
  { label: "Incidents", value: String(digest.incidents.count) },
  ...analyticsFields(digest)
]

/** The digest's weekly analytics section (absent in digests built before it existed). */
const analyticsFields = (digest: DigestReport): ReadonlyArray<Detail> => {
  const a = digest.analytics
  if (a === undefined) return []
  const out: Array<Detail> = []
  if (a.boosts !== null) out.push({ label: "Boosts", value: `${a.boosts.first} → ${a.boosts.last} (${signed(a.boosts.change)})` })
  if (a.busiestHours.length > 0) {
    out.push({
      label: `Busiest hours (${a.timeZone})`,
      value: a.busiestHours.map((h) => `${h.day.slice(0, 3)} ${String(h.hour).padStart(2, "0")}:00 (${num(h.averageOnline)})`).join(", ")
    })
  }
  if (a.growthRank !== null && a.growthRank.of > 1) out.push({ label: "Growth rank", value: `${a.growthRank.rank} of ${a.growthRank.of}` })
  if (a.allServers !== null && a.allServers.profiles > 1) {
    out.push({
      label: "All servers",
      value: `${num(a.allServers.members)} members · ${num(a.allServers.online)} online · ${signed(a.allServers.memberGrowth)} this week (${a.allServers.profiles} servers)`
    })
  }
  return out
}

export const duration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "n/a"
  const minutes = Math.round(ms / 60_000)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`
}

/** The main text under the headline. */
export const summary = (message: NotifierMessage): string => {
  if (message.kind === "alert") return message.summary
  const incidents = message.incidents.items
    .slice(0, 10)
    .map((i) => `• ${i.title} (${i.rule}), ${i.startedAt.slice(0, 16).replace("T", " ")} UTC${i.durationMinutes !== null ? `, ${duration(i.durationMinutes * 60_000)}` : ", ongoing"}`)
  return [
    `${message.samples} samples over the week.`,
    ...(incidents.length > 0 ? ["Incidents:", ...incidents] : ["No incidents."])
  ].join("\n")
}

/** A plain-text rendering (e-mail text part, chat fallbacks). */
export const plainText = (message: NotifierMessage): string =>
  [headline(message), "", summary(message), "", ...fields(message).map((f) => `${f.label}: ${f.value}`), "", "— GuildPulse"].join("\n")
