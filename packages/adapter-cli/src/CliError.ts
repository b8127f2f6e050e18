/**
 * A failure the command explains to the user, with the process exit code it maps to.
 *
 * Exit codes: 0 success · 1 the operation failed (the server refused it, a start-up failure) · 2 bad
 * arguments or configuration · 3 the server or a dependency cannot be reached · 4 no such profile.
 * `doctor` exits with the number of failed checks.
 */
import { Data } from "effect"

export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
export const EXIT_UNREACHABLE = 3
export const EXIT_NOT_FOUND = 4

export class CliError extends Data.TaggedError("CliError")<{
  readonly message: string
  readonly exitCode: number
}> {}

export const usage = (message: string) => new CliError({ message, exitCode: EXIT_USAGE })
export const failed = (message: string) => new CliError({ message, exitCode: EXIT_FAILED })
