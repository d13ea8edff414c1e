/**
 * TLS connections to brokers. Certificate and hostname verification are on unless the caller turns them
 * off with `rejectUnauthorized: false`; a broker whose certificate does not verify fails the connection
 * with an {@link AuthenticationError}, which is not retried: trying again cannot make it trusted.
 */

import { isIP } from 'node:net'
import * as tls from 'node:tls'
import { AuthenticationError, KafkaError } from '../common/errors.ts'
import type { BrokerEndpoint, SocketFactory } from './socket-factory.ts'
import { whenSocketReady } from './socket-factory.ts'

/**
 * TLS settings: `true` for TLS with Node's trusted CAs, or `tls.connect` options (`ca`, `cert`, `key`,
 * `passphrase`, `servername`, `rejectUnauthorized`, `checkServerIdentity`, `minVersion`, ...). `host` and
 * `port` come from the broker's address.
 */
export type TlsOptions = true | tls.ConnectionOptions

/** Node's codes for a certificate chain or name that failed verification. */
const VERIFICATION_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
])

/** A {@link SocketFactory} that opens TLS connections with `options`. */
export function createTlsSocketFactory(options: TlsOptions): SocketFactory {
  const base: tls.ConnectionOptions = options === true ? {} : options
  return async (endpoint: BrokerEndpoint, signal: AbortSignal) => {
    const socket = tls.connect({
      ...base,
      host: endpoint.host,
      port: endpoint.port,
      // SNI must be a host name, never an IP address; verification still checks IPs against the SANs.
      servername: base.servername ?? (isIP(endpoint.host) === 0 ? endpoint.host : undefined),
    })
    socket.setNoDelay(true)
    socket.setKeepAlive(true)
    try {
      return await whenSocketReady(socket, 'secureConnect', signal)
    } catch (error) {
      throw tlsAuthenticationFailure(error, `${endpoint.host}:${endpoint.port}`) ?? error
    }
  }
}

/**
 * The {@link AuthenticationError} for a socket error that is a certificate problem, on our side or
 * reported by the broker in a TLS alert; undefined for anything else (which stays a connection problem).
 */
export function tlsAuthenticationFailure(error: unknown, broker: string): AuthenticationError | undefined {
  if (error instanceof KafkaError) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string') return undefined
  if (VERIFICATION_CODES.has(code)) {
    return new AuthenticationError(
      `TLS certificate of broker ${broker} did not verify (${code}): ${(error as Error).message}; ` +
        'check the tls.ca option and that the broker address matches its certificate',
      { broker, cause: error },
    )
  }
  // A TLS alert from the broker's side: it refused our certificate (or its absence, ssl.client.auth=required).
  if (/^ERR_SSL_.*(CERTIFICATE|UNKNOWN_CA)/.test(code)) {
    return new AuthenticationError(
      `broker ${broker} refused the TLS client certificate (${code}); check the tls.cert and tls.key options`,
      { broker, cause: error },
    )
  }
  return undefined
}
