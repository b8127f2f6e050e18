/**
 * The redaction guard. It lives in `@guildpulse/core` (so the HTTP adapter masks its defect logs without
 * loading this package); re-exported here for the loggers, tracers and notifiers of this package.
 */
import { Redaction } from "@guildpulse/core"

export const { REDACTED, isSensitiveKey, redactText, redactValue, secretsOf } = Redaction
