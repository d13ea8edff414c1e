/**
 * The logging interface samsa writes to. Plug in pino, winston or console by passing an object with these
 * four methods; the default logs warnings and errors to stderr as one JSON line each.
 *
 * Fields never contain credentials: connection code passes broker addresses, never SASL settings.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

function serialize(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return { name: value.name, message: value.message }
  return value
}

/** A logger writing JSON lines to stderr for messages at or above `level`. */
export function createConsoleLogger(level: LogLevel = 'warn'): Logger {
  const threshold = levelRank[level]
  const write = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (levelRank[at] < threshold) return
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: at, message }
    if (fields) for (const [key, value] of Object.entries(fields)) entry[key] = serialize(value)
    process.stderr.write(`${JSON.stringify(entry)}\n`)
  }
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
