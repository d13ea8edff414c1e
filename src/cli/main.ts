/**
 * The `samsa` command line. Each command group registers itself from `src/cli/commands/`; this file only
 * lists them and owns what every command shares: help, unknown-flag handling and the exit status.
 */

import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { KafkaError } from '../common/errors.ts'
import type { RegisterCommand } from './command-module.ts'
import { registerBrokerCommand } from './commands/broker.ts'
import { registerConsumeCommand } from './commands/consume.ts'
import { registerGroupsCommand } from './commands/groups.ts'
import { registerProduceCommand } from './commands/produce.ts'
import { registerShareGroupsCommand } from './commands/share-groups.ts'
import { registerTopicsCommand } from './commands/topics.ts'
import { registerSecurityOptions } from './data/security-options.ts'

/** Every command group, in the order `samsa --help` lists them. Add new groups here. */
const commandModules: readonly RegisterCommand[] = [
  registerBrokerCommand,
  registerTopicsCommand,
  registerProduceCommand,
  registerConsumeCommand,
  registerGroupsCommand,
  registerShareGroupsCommand,
]

function packageVersion(): string {
  // src/cli/main.ts and dist/cli/main.js are both two levels below the package root.
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return manifest.version
}

/** Builds the root program with every command group registered. */
export function createProgram(): Command {
  const program = new Command('samsa')
    .description('samsa: an Apache Kafka client for Node.js')
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      // Commander prefixes its parse errors with "error: "; match the "samsa: " form of our own errors.
      outputError: (message, write) => write(message.replace(/^error: /, 'samsa: ')),
    })
    .exitOverride()
  registerSecurityOptions(program)
  for (const register of commandModules) register(program)
  // Subcommands copy these settings only when created after them, so apply them to the whole tree here.
  const configure = (command: Command) => {
    command.showHelpAfterError('(add --help for usage)').exitOverride()
    command.configureOutput(program.configureOutput())
    for (const child of command.commands) configure(child)
  }
  for (const child of program.commands) configure(child)
  return program
}

/** Runs the CLI with `argv` (as in `process.argv`) and returns the exit status. */
export async function runCli(argv: readonly string[] = process.argv): Promise<number> {
  const program = createProgram()
  try {
    await program.parseAsync([...argv])
    return 0
  } catch (error) {
    // Help and --version end parsing with a "success" CommanderError; parse errors were already printed.
    if (error instanceof CommanderError) return error.exitCode
    if (error instanceof KafkaError) {
      process.stderr.write(`samsa: ${error.message}\n`)
      return 1
    }
    throw error
  }
}

process.exitCode = await runCli()
