/**
 * The options every samsa client (producer, consumer, admin) shares: where the cluster is, how long to wait
 * for it and how hard to retry. Validated once, at construction, by {@link resolveClientOptions}.
 */

import { ConfigError } from '../common/errors.ts'
import { createConsoleLogger, type Logger, silentLogger } from '../common/logger.ts'
import {
  defineOptions,
  type OptionsOf,
  option,
  type ResolvedOf,
  resolveOptions,
} from '../common/option-table.ts'
import { integerOption } from '../common/validate.ts'
import type { Authenticator } from '../network/connection.ts'
import { createSaslAuthenticator } from '../network/sasl/index.ts'
import type { SaslOptions } from '../network/sasl/sasl-options.ts'
import type { BrokerEndpoint, SocketFactory } from '../network/socket-factory.ts'
import { createTlsSocketFactory, type TlsOptions } from '../network/tls-socket-factory.ts'

export type { OAuthBearerToken, SaslOptions } from '../network/sasl/sasl-options.ts'
export type { TlsOptions } from '../network/tls-socket-factory.ts'

const ONE_DAY_MS = 24 * 60 * 60 * 1000

/**
 * The client-wide options (`new Kafka(options)`), declared once: type, default, validation and docs. See
 * common/option-table.ts for how to add one.
 */
export const clientOptionTable = defineOptions({
  /**
   * Brokers to ask for the cluster's layout, as `host:port` strings (an array, or one comma-separated string).
   * One reachable broker is enough; the rest of the cluster is discovered from it. IPv6 hosts go in
   * brackets: `[::1]:9092`. Required.
   */
  bootstrap: option.custom<string | string[], BrokerEndpoint[]>({
    type: 'string | string[]',
    defaultText: 'required',
    allowed: "'host:port' strings",
    resolve: (path, value) => parseBootstrap(value, path),
  }),
  /** Sent with every request; brokers use it in request logs and quotas. */
  clientId: option.string({ default: 'samsa' }),
  /**
   * How long to wait for the answer to one request before failing it (and closing its connection). The
   * producer's Produce requests use it too unless the producer sets its own `requestTimeoutMs`.
   */
  requestTimeoutMs: option.integer({ default: 30_000, min: 1, max: ONE_DAY_MS }),
  /** How long opening one TCP (or TLS) connection may take. */
  connectionTimeoutMs: option.integer({ default: 10_000, min: 1, max: ONE_DAY_MS }),
  /**
   * How many times a failed operation is retried when the error is retriable (a leader moved, a broker
   * restarted, a request timed out). 0 disables retries.
   */
  retries: option.integer({ default: 5, min: 0, max: 1_000_000 }),
  /** Wait before the first retry; doubles with each further retry, with ±20% jitter. */
  retryBackoffMs: option.integer({ default: 100, min: 0, max: ONE_DAY_MS }),
  /** Upper bound of the retry wait; at least `retryBackoffMs`. */
  retryBackoffMaxMs: option.custom<number, number>({
    type: 'integer',
    defaultText: 'max(1000, retryBackoffMs)',
    allowed: `retryBackoffMs to ${ONE_DAY_MS}`,
    resolve: (path, value, resolved) => {
      const floor = resolved.retryBackoffMs as number
      return integerOption(path, value, Math.max(1000, floor), floor, ONE_DAY_MS)
    },
  }),
  /** Wait before reconnecting to a broker whose connection failed; doubles per consecutive failure. */
  reconnectBackoffMs: option.integer({ default: 50, min: 0, max: ONE_DAY_MS }),
  /** Upper bound of the reconnect wait; at least `reconnectBackoffMs`. */
  reconnectBackoffMaxMs: option.custom<number, number>({
    type: 'integer',
    defaultText: 'max(1000, reconnectBackoffMs)',
    allowed: `reconnectBackoffMs to ${ONE_DAY_MS}`,
    resolve: (path, value, resolved) => {
      const floor = resolved.reconnectBackoffMs as number
      return integerOption(path, value, Math.max(1000, floor), floor, ONE_DAY_MS)
    },
  }),
  /** Cluster metadata older than this is refreshed before use, even without errors. */
  metadataMaxAgeMs: option.integer({ default: 300_000, min: 0, max: ONE_DAY_MS }),
  /**
   * Requests of any kind pipelined on one broker connection before waiting for answers; further requests
   * queue. This bounds every connection, the producer's included; the producer's own `maxInFlightRequests`
   * bounds how many Produce requests it keeps outstanding per broker on top of it.
   */
  maxInFlightRequests: option.integer({ default: 5, min: 1, max: 1_000_000 }),
  /** Largest response accepted from a broker, in bytes. */
  maxResponseBytes: option.integer({
    default: 256 * 1024 * 1024,
    defaultText: '268435456 (256 MiB)',
    min: 1024,
  }),
  /**
   * Where samsa logs. By default warnings and errors go to stderr as one JSON line each (an offset reset, a
   * lost membership, a failed commit, a fenced producer), as the Java client logs them by default. `false`
   * logs nothing; any object with `debug`, `info`, `warn` and `error` methods (pino, winston, console)
   * receives everything.
   */
  logger: option.custom<Logger | false, Logger>({
    type: 'Logger | false',
    defaultText: 'warnings and errors to stderr',
    allowed: 'false or an object with debug, info, warn and error methods',
    resolve: (path, value) => resolveLogger(value, path),
  }),
  /** Connect with TLS (`true`, or Node's `tls.connect` options such as `ca`, `cert`, `key`). */
  tls: option.custom<TlsOptions, SocketFactory | undefined>({
    type: 'boolean | TlsOptions',
    defaultText: 'plain TCP',
    allowed: 'true, false or tls.connect options',
    resolve: (path, value) => resolveTls(value, path),
  }),
  /** Authenticate with SASL: PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER. */
  sasl: option.custom<SaslOptions, Authenticator | undefined>({
    type: 'SaslOptions',
    defaultText: 'none',
    allowed: "{ mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer', ... }",
    resolve: (_path, value) =>
      value === undefined ? undefined : createSaslAuthenticator(value as SaslOptions),
  }),
})

/** Options shared by every client. Only `bootstrap` is required. */
export type ClientOptions = OptionsOf<typeof clientOptionTable> & { bootstrap: string | string[] }

/** {@link ClientOptions} after validation, with every default applied. */
export interface ResolvedClientOptions extends Omit<ResolvedOf<typeof clientOptionTable>, 'tls' | 'sasl'> {
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
  const { tls, sasl, ...rest } = resolveOptions(clientOptionTable, '', input, extraOptionNames, 'options')
  const resolved: ResolvedClientOptions = {
    ...rest,
    socketFactory: tls,
    authenticate: sasl,
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

function resolveTls(tls: unknown, path: string): SocketFactory | undefined {
  if (tls === undefined || tls === false) return undefined
  if (tls !== true && (typeof tls !== 'object' || tls === null)) {
    throw new ConfigError(path, `expected true or tls.connect options, got ${typeof tls}`)
  }
  return createTlsSocketFactory(tls as TlsOptions)
}

function resolveLogger(logger: unknown, path: string): Logger {
  if (logger === undefined) return createConsoleLogger('warn')
  if (logger === false) return silentLogger
  const candidate = logger as Record<string, unknown> | null
  for (const method of ['debug', 'info', 'warn', 'error']) {
    if (typeof candidate?.[method] !== 'function') {
      throw new ConfigError(
        path,
        `expected false or an object with debug, info, warn and error methods; ${method} is missing`,
      )
    }
  }
  return logger as Logger
}
