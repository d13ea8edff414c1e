import type { Command } from 'commander'

/**
 * A CLI command group (`broker`, `topics`, `produce`, …). Each lives in `src/cli/commands/<group>.ts` and
 * exports one of these, which adds its subcommands to the root program; `main.ts` only lists them.
 *
 * Actions should throw {@link KafkaError} subclasses for expected failures: the entry point prints those as
 * `samsa: <message>` and exits 1, and lets anything else surface with its stack trace as a bug.
 */
export type RegisterCommand = (program: Command) => void
