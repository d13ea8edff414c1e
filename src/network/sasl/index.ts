/** SASL authentication for broker connections. */

import { ConfigError } from '../../common/errors.ts'
import type { Authenticator } from '../connection.ts'
import { authenticateSasl } from './sasl-authenticator.ts'
import { SASL_MECHANISM_NAMES, type SaslOptions } from './sasl-options.ts'

export { authenticateSasl, createSaslExchange, type SaslSession } from './sasl-authenticator.ts'
export type { SaslExchange } from './sasl-mechanism.ts'
export {
  type OAuthBearerToken,
  SASL_MECHANISM_NAMES,
  type SaslOAuthBearerOptions,
  type SaslOptions,
  type SaslPasswordOptions,
} from './sasl-options.ts'

/**
 * Validates `options` and returns the {@link Authenticator} every new connection runs. Validation errors
 * name the option, never its value: the value may be a secret.
 */
export function createSaslAuthenticator(options: SaslOptions): Authenticator {
  const sasl = validateSaslOptions(options)
  return (channel) => authenticateSasl(channel, sasl)
}

function validateSaslOptions(options: unknown): SaslOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('sasl', 'expected { mechanism, ... }')
  }
  const { mechanism } = options as { mechanism?: unknown }
  if (typeof mechanism !== 'string' || !(mechanism in SASL_MECHANISM_NAMES)) {
    throw new ConfigError(
      'sasl.mechanism',
      `expected one of ${Object.keys(SASL_MECHANISM_NAMES).join(', ')}, got ${JSON.stringify(mechanism)}`,
    )
  }
  const allowed = mechanism === 'oauthbearer' ? ['mechanism', 'token'] : ['mechanism', 'username', 'password']
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(
        `sasl.${key}`,
        `is not an option of SASL ${mechanism} (allowed: ${allowed.join(', ')})`,
      )
    }
  }
  if (mechanism === 'oauthbearer') {
    if (typeof (options as { token?: unknown }).token !== 'function') {
      throw new ConfigError('sasl.token', 'expected a function returning the token (or a promise of it)')
    }
  } else {
    const { username, password } = options as { username?: unknown; password?: unknown }
    if (typeof username !== 'string' || username.length === 0) {
      throw new ConfigError('sasl.username', 'expected a non-empty string')
    }
    if (typeof password !== 'string' || password.length === 0) {
      throw new ConfigError('sasl.password', 'expected a non-empty string')
    }
  }
  return options as SaslOptions
}
