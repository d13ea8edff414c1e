/** Options every data command (`topics`, `produce`, `consume`) takes the same way. */

import { Option } from 'commander'
import { defaultBootstrap } from './flags.ts'

/** Output of a command: readable text, or JSON for scripts. */
export type OutputFormat = 'text' | 'json'

/**
 * `--bootstrap host:port[,host:port…]`. Parsed when the command runs rather than by commander, so a bad
 * `KAFKA_BOOTSTRAP` only breaks commands that connect, not `--help`.
 */
export function bootstrapOption(): Option {
  return new Option(
    '-b, --bootstrap <brokers>',
    'comma-separated host:port list of brokers to start from',
  ).default(defaultBootstrap(), 'KAFKA_BOOTSTRAP, else 127.0.0.1:9092')
}

export function formatOption(description = 'output format'): Option {
  return new Option('--format <format>', description).choices(['text', 'json']).default('text')
}
