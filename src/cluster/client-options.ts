/**
 * The options every samsa client (producer, consumer, admin) shares: where the cluster is, how long to wait
 * for it and how hard to retry. Validated once, at construction, by {@link resolveClientOptions}.
 */

import { ConfigError } from '../common/errors.ts'
import { createConsoleLogger, type Logger, silentLogger } from '../common/logger.ts'
import { integerOption, rejectUnknownOptions, stringOption } from '../common/validate.ts'
import type { Authenticator } from '../network/connection.ts'
import { createSaslAuthenticator } from '../network/sasl/index.ts'
import type { SaslOptions } from '../network/sasl/sasl-options.ts'
import type { BrokerEndpoint, SocketFactory } from '../network/socket-factory.ts'
import { createTlsSocketFactory, type TlsOptions } from '../network/tls-socket-factory.ts'

export type { OAuthBearerToken, SaslOptions } from '../network/sasl/sasl-options.ts'
export type { TlsOptions } from '../network/tls-socket-factory.ts'

/** Options shared by every client. Only `bootstrap` is required. */
export interface ClientOptions {
  /**
   * Brokers to ask for the cluster's layout, as `host:port` strings (an array, or one comma-separated string).
   * One reachable broker is enough; the rest of the cluster is discovered from it. IPv6 hosts go in
   * brackets: `[::1]:9092`.
   */
  bootstrap: string | string[]
  /** Sent with every request; brokers use it in request logs and quotas. Default `'samsa'`. */
  clientId?: string
  /** How long to wait for the answer to one request before failing it (and closing its connection). Default 30000. */
  requestTimeoutMs?: number
  /** How long opening one TCP (or TLS) connection may take. Default 10000. */
  connectionTimeoutMs?: number
  /**
   * How many times a failed operation is retried when the error is retriable (a leader moved, a broker
   * restarted, a request timed out). 0 disables retries. Default 5.
   */
  retries?: number
  /** Wait before the first retry; doubles with each further retry, with ±20% jitter. Default 100. */
  retryBackoffMs?: number
  /** Upper bound of the retry wait. Default 1000. */
  retryBackoffMaxMs?: number
  /** Wait before reconnecting to a broker whose connection failed; doubles per consecutive failure. Default 50. */
  reconnectBackoffMs?: number
  /** Upper bound of the reconnect wait. Default 1000. */
  reconnectBackoffMaxMs?: number
  /** Cluster metadata older than this is refreshed before use, even without errors. Default 300000 (5 minutes). */
  metadataMaxAgeMs?: number
  /** Requests sent on one connection before waiting for answers; further requests queue. Default 5. */
  maxInFlightRequests?: number
  /** Largest response accepted from a broker, in bytes. Default 268435456 (256 MiB). */
  maxResponseBytes?: number
  /**
   * Where samsa logs. Default: warnings and errors go to stderr as one JSON line each (an offset reset, a
   * lost membership, a failed commit, a fenced producer), as the Java client logs them by default. `false`
   * logs nothing; any object with `debug`, `info`, `warn` and `error` methods (pino, winston, console)
   * receives everything.
   */
  logger?: Logger | false
  /** Connect with TLS (`true`, or Node's `tls.connect` options such as `ca`, `cert`, `key`). */
  tls?: TlsOptions
  /** Authenticate with SASL: PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER. */
  sasl?: SaslOptions
}

/** {@link ClientOptions} after validation, with every default applied. */
export interface ResolvedClientOptions {
  bootstrap: BrokerEndpoint[]
  clientId: string
  requestTimeoutMs: number
  connectionTimeoutMs: number
  retries: number
  retryBackoffMs: number
  retryBackoffMaxMs: number
  reconnectBackoffMs: number
  reconnectBackoffMaxMs: number
  metadataMaxAgeMs: number
  maxInFlightRequests: number
  maxResponseBytes: number
  logger: Logger
  /** How connections open their socket; set from `tls` (plain TCP when undefined). */
  socketFactory: SocketFactory | undefined
  /** Runs on every new connection after ApiVersions; set from `sasl`. */
  authenticate: Authenticator | undefined
  /**
   * `tls` and `sasl` as given, when they can be copied to a worker thread (no functions in them, such as an
   * OAUTHBEARER token provider): a worker builds its own connections from them. Undefined when they cannot.
   */
  connectionSettings: ConnectionSettings | undefined
}

/** What a worker thread needs to open a connection configured like the client's own. */
export interface ConnectionSettings {
  clientId: string
  connectionTimeoutMs: number
  requestTimeoutMs: number
  maxResponseBytes: number
  tls: TlsOptions | undefined
  sasl: SaslOptions | undefined
}

/** The option names of {@link ClientOptions}; callers with options of their own pass those as extras. */
const CLIENT_OPTION_NAMES = [
  'bootstrap',
  'clientId',
  'requestTimeoutMs',
  'connectionTimeoutMs',
  'retries',
  'retryBackoffMs',
  'retryBackoffMaxMs',
  'reconnectBackoffMs',
  'reconnectBackoffMaxMs',
  'metadataMaxAgeMs',
  'maxInFlightRequests',
  'maxResponseBytes',
  'logger',
  'tls',
  'sasl',
] as const

const ONE_DAY_MS = 24 * 60 * 60 * 1000

/**
 * Validates `input` and applies defaults. Throws {@link ConfigError} naming the first bad option.
 *
 * `extraOptionNames` are keys the caller's own options add on top of {@link ClientOptions} (a producer's
 * `acks`, say); any other unknown key is rejected as a probable typo.
 */
export function resolveClientOptions(
  input: ClientOptions,
  extraOptionNames: readonly string[] = [],
): ResolvedClientOptions {
  if (typeof input !== 'object' || input === null) {
    throw new ConfigError('options', 'expected an object with at least { bootstrap }')
  }
  // Object.keys, not the declared type: plain JavaScript callers can pass anything.
  rejectUnknownOptions('options', input, [...CLIENT_OPTION_NAMES, ...extraOptionNames])
  const retryBackoffMs = integerOption('retryBackoffMs', input.retryBackoffMs, 100, 0, ONE_DAY_MS)
  const reconnectBackoffMs = integerOption('reconnectBackoffMs', input.reconnectBackoffMs, 50, 0, ONE_DAY_MS)
  const resolved: ResolvedClientOptions = {
    bootstrap: parseBootstrap(input.bootstrap),
    clientId: stringOption('clientId', input.clientId, 'samsa'),
    requestTimeoutMs: integerOption('requestTimeoutMs', input.requestTimeoutMs, 30_000, 1, ONE_DAY_MS),
    connectionTimeoutMs: integerOption(
      'connectionTimeoutMs',
      input.connectionTimeoutMs,
      10_000,
      1,
      ONE_DAY_MS,
    ),
    retries: integerOption('retries', input.retries, 5, 0, 1_000_000),
    retryBackoffMs,
    retryBackoffMaxMs: integerOption(
      'retryBackoffMaxMs',
      input.retryBackoffMaxMs,
      Math.max(1000, retryBackoffMs),
      retryBackoffMs,
      ONE_DAY_MS,
    ),
    reconnectBackoffMs,
    reconnectBackoffMaxMs: integerOption(
      'reconnectBackoffMaxMs',
      input.reconnectBackoffMaxMs,
      Math.max(1000, reconnectBackoffMs),
      reconnectBackoffMs,
      ONE_DAY_MS,
    ),
    metadataMaxAgeMs: integerOption('metadataMaxAgeMs', input.metadataMaxAgeMs, 300_000, 0, ONE_DAY_MS),
    maxInFlightRequests: integerOption('maxInFlightRequests', input.maxInFlightRequests, 5, 1, 1_000_000),
    maxResponseBytes: integerOption(
      'maxResponseBytes',
      input.maxResponseBytes,
      256 * 1024 * 1024,
      1024,
      0x7fffffff,
    ),
    logger: resolveLogger(input.logger),
    socketFactory: resolveTls(input.tls),
    authenticate: input.sasl === undefined ? undefined : createSaslAuthenticator(input.sasl),
    connectionSettings: undefined,
  }
  resolved.connectionSettings = transferableSettings(resolved, input)
  return resolved
}

/** The connection settings, if structured clone can carry them to a worker thread (functions cannot go). */
function transferableSettings(
  resolved: ResolvedClientOptions,
  input: ClientOptions,
): ConnectionSettings | undefined {
  const settings: ConnectionSettings = {
    clientId: resolved.clientId,
    connectionTimeoutMs: resolved.connectionTimeoutMs,
    requestTimeoutMs: resolved.requestTimeoutMs,
    maxResponseBytes: resolved.maxResponseBytes,
    tls: resolved.socketFactory === undefined ? undefined : input.tls,
    sasl: input.sasl,
  }
  try {
    return structuredClone(settings)
  } catch {
    return undefined
  }
}

/** Parses `host:port` lists. Exported for tools that take a `--bootstrap-server` flag. */
export function parseBootstrap(value: unknown, option = 'bootstrap'): BrokerEndpoint[] {
  let entries: unknown[]
  if (typeof value === 'string') entries = value.split(',')
  else if (Array.isArray(value)) entries = value
  else throw new ConfigError(option, `expected 'host:port' or an array of them, got ${typeof value}`)

  const endpoints: BrokerEndpoint[] = []
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      throw new ConfigError(option, `expected 'host:port' strings, got ${typeof entry}`)
    }
    const text = entry.trim()
    if (text.length === 0) continue
    endpoints.push(parseEndpoint(text, option))
  }
  if (endpoints.length === 0) {
    throw new ConfigError(option, "needs at least one broker address such as 'localhost:9092'")
  }
  return endpoints
}

function parseEndpoint(text: string, option: string): BrokerEndpoint {
  // `[v6-address]:port`, or `host:port` where host has no colon.
  const match = /^\[([0-9a-fA-F:.%a-zA-Z]+)\]:([^:]*)$/.exec(text) ?? /^([^:[\]\s]+):([^:]*)$/.exec(text)
  if (match === null) {
    throw new ConfigError(
      option,
      `${JSON.stringify(text)} is not 'host:port' (a port is required; write IPv6 hosts as [::1]:9092)`,
    )
  }
  const host = match[1]!
  const portText = match[2]!
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new ConfigError(
      option,
      `${JSON.stringify(text)} has port ${JSON.stringify(portText)}; expected 1-65535`,
    )
  }
  return { host, port }
}

function resolveTls(tls: unknown): SocketFactory | undefined {
  if (tls === undefined || tls === false) return undefined
  if (tls !== true && (typeof tls !== 'object' || tls === null)) {
    throw new ConfigError('tls', `expected true or tls.connect options, got ${typeof tls}`)
  }
  return createTlsSocketFactory(tls as TlsOptions)
}

function resolveLogger(logger: unknown): Logger {
  if (logger === undefined) return createConsoleLogger('warn')
  if (logger === false) return silentLogger
  const candidate = logger as Record<string, unknown> | null
  for (const method of ['debug', 'info', 'warn', 'error']) {
    if (typeof candidate?.[method] !== 'function') {
      throw new ConfigError(
        'logger',
        `expected false or an object with debug, info, warn and error methods; ${method} is missing`,
      )
    }
  }
  return logger as Logger
}
