/**
 * Words of the card in English and French: `CardWords` (shared with the browser element, in Words.ts) plus the
 * words only the server renders (presence, boosts, links, badge). Formatting lives in Words.ts.
 */
import type { Locale } from "@guildpulse/core"
import { enWords, frWords } from "./Words.js"
import type { CardWords } from "./Words.js"

export { formatNumber, formatRelative, formatUpdated } from "./Words.js"

export interface Labels extends CardWords {
  readonly presence: string
  readonly boosts: string
  readonly boost: string
  readonly presenceOnline: string
  readonly idle: string
  readonly dnd: string
  /** "sample of" — followed by the sample size. */
  readonly sampleOf: string
  readonly level: string
  /** Between a label and what it introduces (French typography puts a space before the colon). */
  readonly colon: string
  readonly defaultTitle: string
  readonly invite: string
  readonly newTab: string
  readonly badgeLabel: string
  readonly badgeOnline: string
  readonly badgeMembers: string
  readonly badgeUnavailable: string
  readonly badgeDemo: string
}

export const en: Labels = {
  ...enWords,
  presence: "Presence by status",
  boosts: "Server boosts",
  boost: "Server boost",
  presenceOnline: "online",
  idle: "idle",
  dnd: "do not disturb",
  sampleOf: "sample of",
  level: "Level",
  colon: ": ",
  defaultTitle: "Join us on Discord",
  invite: "Join the server",
  newTab: "(opens in a new tab)",
  badgeLabel: "discord",
  badgeOnline: "online",
  badgeMembers: "members",
  badgeUnavailable: "unavailable",
  badgeDemo: "demo"
}

export const fr: Labels = {
  ...frWords,
  presence: "Présence par statut",
  boosts: "Boosts du serveur",
  boost: "Boost du serveur",
  presenceOnline: "en ligne",
  idle: "inactif",
  dnd: "ne pas déranger",
  sampleOf: "échantillon de",
  level: "Niveau",
  colon: "\u00a0: ",
  defaultTitle: "Rejoignez-nous sur Discord",
  invite: "Rejoindre le serveur",
  newTab: "(s’ouvre dans un nouvel onglet)",
  badgeLabel: "discord",
  badgeOnline: "en ligne",
  badgeMembers: "membres",
  badgeUnavailable: "indisponible",
  badgeDemo: "démo"
}

const byLocale: { readonly [L in Locale]: Labels } = { en, fr }

/** The label set of a locale (English when unknown). */
export const labelsFor = (locale: Locale | undefined): Labels => (locale === "fr" ? fr : en)

export const locales: ReadonlyArray<Locale> = Object.keys(byLocale) as ReadonlyArray<Locale>
