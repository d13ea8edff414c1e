/**
 * Kafka's SASL handshake: SaslHandshake names the mechanism, then SaslAuthenticate requests carry the
 * mechanism's messages until it is satisfied. Failures become {@link AuthenticationError}s that name the
 * broker, the mechanism and the broker's reason, and never the credentials.
 */

import { AuthenticationError, KafkaError } from '../../common/errors.ts'
import { ErrorCode } from '../../protocol/errors/error-codes.ts'
import { SaslAuthenticate } from '../../protocol/messages/sasl-authenticate.ts'
import { SaslHandshake } from '../../protocol/messages/sasl-handshake.ts'
import type { HandshakeChannel } from '../connection.ts'
import { oauthBearerExchange } from './oauthbearer.ts'
import { plainExchange } from './plain.ts'
import type { SaslExchange } from './sasl-mechanism.ts'
import { SASL_MECHANISM_NAMES, type SaslOptions } from './sasl-options.ts'
import { scramExchange } from './scram.ts'

/** The outcome of a successful authentication. */
export interface SaslSession {
  /**
   * How long the broker keeps the session (KIP-368), in ms from when the exchange finished; 0 when the
   * broker sets no limit (`connections.max.reauth.ms` is 0).
   */
  sessionLifetimeMs: number
}

/** A fresh exchange for `options`; each connection and each re-authentication runs its own. */
export function createSaslExchange(options: SaslOptions): SaslExchange {
  switch (options.mechanism) {
    case 'plain':
      return plainExchange(options.username, options.password)
    case 'scram-sha-256':
      return scramExchange('sha256', options.username, options.password)
    case 'scram-sha-512':
      return scramExchange('sha512', options.username, options.password)
    case 'oauthbearer':
      return oauthBearerExchange(options.token)
  }
}

/** Runs the whole SASL handshake over `channel`. */
export async function authenticateSasl(
  channel: HandshakeChannel,
  options: SaslOptions,
): Promise<SaslSession> {
  const mechanism = SASL_MECHANISM_NAMES[options.mechanism]
  const context = { broker: channel.broker }
  // v1 and later frame the mechanism's bytes in SaslAuthenticate requests (v0 sent them raw on the socket).
  const handshake = await channel.request(SaslHandshake, { mechanism }, { version: 1 })
  if (handshake.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw new AuthenticationError(
      `broker ${channel.broker} does not enable SASL mechanism ${mechanism}; it enables ` +
        `${handshake.mechanisms.join(', ') || 'none'} (sasl.enabled.mechanisms)`,
      context,
    )
  }
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw new AuthenticationError(
      `SASL handshake with broker ${channel.broker} failed with error code ${handshake.errorCode}` +
        (handshake.errorCode === ErrorCode.ILLEGAL_SASL_STATE ? ' (is this a SASL listener?)' : ''),
      context,
    )
  }

  const exchange = createSaslExchange(options)
  let challenge: Buffer | undefined
  let sessionLifetimeMs = 0
  for (;;) {
    let message: Buffer | null
    try {
      message = await exchange.respond(challenge)
    } catch (error) {
      if (error instanceof KafkaError) throw withBroker(error, channel.broker)
      throw error
    }
    if (message === null) break
    const response = await channel.request(SaslAuthenticate, { authBytes: message })
    if (response.errorCode !== ErrorCode.NONE) {
      const reason =
        exchange.describeFailure?.() ?? response.errorMessage ?? `error code ${response.errorCode}`
      throw new AuthenticationError(
        `SASL ${mechanism} authentication with broker ${channel.broker} failed: ${reason}`,
        context,
      )
    }
    challenge = response.authBytes
    sessionLifetimeMs = Number(response.sessionLifetimeMs)
  }
  return { sessionLifetimeMs }
}

/** Adds the broker to a mechanism's error, which knows nothing of connections. */
function withBroker(error: KafkaError, broker: string): KafkaError {
  if (!(error instanceof AuthenticationError)) return error
  return new AuthenticationError(`${error.message} (broker ${broker})`, { broker })
}
