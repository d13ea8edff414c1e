/**
 * TLS and SASL for every command that connects: global flags, each with an environment variable, so a
 * secret can stay out of the shell history (`SAMSA_SASL_PASSWORD`) and scripts set it once.
 *
 * The flags are parsed once for the whole program (a preAction hook stores them here) and applied by
 * `withCluster`, so commands need no code of their own for them.
 */

import { readFileSync } from 'node:fs'
import { type Command, Option } from 'commander'
import type { ClientOptions } from '../../cluster/client-options.ts'
import { ConfigError } from '../../common/errors.ts'

interface SecurityFlags {
  tls?: boolean
  tlsCa?: string
  tlsCert?: string
  tlsKey?: string
  tlsServername?: string
  tlsInsecure?: boolean
  saslMechanism?: string
  saslUsername?: string
  saslPassword?: string
  saslTokenFile?: string
}

let current: Pick<ClientOptions, 'tls' | 'sasl'> = {}

/** Adds the global security flags to `program` and records their values before each command runs. */
export function registerSecurityOptions(program: Command): void {
  program
    .addOption(new Option('--tls', 'connect with TLS (implied by any other --tls-* flag)').env('SAMSA_TLS'))
    .addOption(new Option('--tls-ca <file>', 'PEM file of the CAs to trust').env('SAMSA_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'PEM client certificate').env('SAMSA_TLS_CERT'))
    .addOption(
      new Option('--tls-key <file>', 'PEM private key of the client certificate').env('SAMSA_TLS_KEY'),
    )
    .addOption(
      new Option('--tls-servername <name>', 'host name to verify the broker certificate against').env(
        'SAMSA_TLS_SERVERNAME',
      ),
    )
    .addOption(
      new Option('--tls-insecure', 'do not verify broker certificates (testing only)').env(
        'SAMSA_TLS_INSECURE',
      ),
    )
    .addOption(
      new Option('--sasl-mechanism <mechanism>', 'SASL mechanism')
        .choices(['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'])
        .env('SAMSA_SASL_MECHANISM'),
    )
    .addOption(new Option('--sasl-username <name>', 'SASL user').env('SAMSA_SASL_USERNAME'))
    .addOption(
      new Option('--sasl-password <password>', 'SASL password (prefer the environment variable)').env(
        'SAMSA_SASL_PASSWORD',
      ),
    )
    .addOption(
      new Option('--sasl-token-file <file>', 'OAUTHBEARER token, re-read at every (re-)authentication').env(
        'SAMSA_SASL_TOKEN_FILE',
      ),
    )
    .hook('preAction', (_root, action) => {
      current = clientSecurity(action.optsWithGlobals() as SecurityFlags)
    })
}

/** The `tls` and `sasl` client options of the current command run. */
export function cliClientSecurity(): Pick<ClientOptions, 'tls' | 'sasl'> {
  return current
}

/** Turns the flags into client options; exported for tests. */
export function clientSecurity(flags: SecurityFlags): Pick<ClientOptions, 'tls' | 'sasl'> {
  const options: Pick<ClientOptions, 'tls' | 'sasl'> = {}
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file)
    } catch (error) {
      throw new ConfigError(flag, `cannot read ${file}: ${(error as Error).message}`)
    }
  }
  const anyTls =
    flags.tls ||
    flags.tlsInsecure ||
    [flags.tlsCa, flags.tlsCert, flags.tlsKey, flags.tlsServername].some((v) => v !== undefined)
  if (anyTls) {
    options.tls = {
      ...(flags.tlsCa === undefined ? {} : { ca: read(flags.tlsCa, '--tls-ca') }),
      ...(flags.tlsCert === undefined ? {} : { cert: read(flags.tlsCert, '--tls-cert') }),
      ...(flags.tlsKey === undefined ? {} : { key: read(flags.tlsKey, '--tls-key') }),
      ...(flags.tlsServername === undefined ? {} : { servername: flags.tlsServername }),
      ...(flags.tlsInsecure ? { rejectUnauthorized: false } : {}),
    }
  }
  const mechanism = flags.saslMechanism
  if (mechanism === 'oauthbearer') {
    const file = flags.saslTokenFile
    if (file === undefined)
      throw new ConfigError('--sasl-token-file', 'is required with --sasl-mechanism oauthbearer')
    options.sasl = { mechanism, token: () => read(file, '--sasl-token-file').toString('utf8').trim() }
  } else if (mechanism !== undefined) {
    if (flags.saslUsername === undefined)
      throw new ConfigError('--sasl-username', `is required with SASL ${mechanism}`)
    if (flags.saslPassword === undefined) {
      throw new ConfigError(
        '--sasl-password',
        `is required with SASL ${mechanism} (or set SAMSA_SASL_PASSWORD)`,
      )
    }
    options.sasl = {
      mechanism: mechanism as 'plain' | 'scram-sha-256' | 'scram-sha-512',
      username: flags.saslUsername,
      password: flags.saslPassword,
    }
  }
  return options
}
