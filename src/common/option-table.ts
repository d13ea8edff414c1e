/**
 * One declaration per option, in the spirit of Kafka's ConfigDef and librdkafka's property table.
 *
 * Each client (client-wide, producer, consumer, run, admin calls) declares its options once, in a table:
 *
 *   export const producerOptionTable = defineOptions({
 *     // (a doc comment: how long a batch waits for more records before it is sent, in ms)
 *     lingerMs: option.integer({ default: 5, min: 0 }),
 *     ...
 *   })
 *
 * and everything else follows from that entry:
 * - the public options type, `OptionsOf<typeof table>` (each property optional, typed by its spec, and
 *   carrying the entry's doc comment, which editors show on hover);
 * - the resolved type, `ResolvedOf<typeof table>`, and `resolveOptions(table, ...)`, which rejects unknown
 *   keys, applies defaults and validates each value, throwing `ConfigError` naming the option, the value and
 *   what is allowed;
 * - the reference docs/options.md (`npm run docs:options`, checked current by `npm test`), from the doc
 *   comment and the spec's type, default and allowed values.
 *
 * To add an option: add one entry, with a doc comment, to its client's table, then run `npm run docs:options`.
 * Options are resolved in declaration order and each `resolve` sees the options resolved before it, so a
 * default or a check that depends on another option (`deliveryTimeoutMs >= lingerMs + requestTimeoutMs`) is
 * declared on the later option. `option.custom` covers anything the built-in kinds do not.
 */

import { ConfigError } from './errors.ts'
import { booleanOption, enumOption, integerOption, rejectUnknownOptions, stringOption } from './validate.ts'

/** The options resolved so far, for defaults and checks that depend on earlier options. */
export type ResolvedSoFar = Readonly<Record<string, unknown>>

/**
 * One option: how to validate and default it (`resolve`), and how to describe it in the reference docs. `In`
 * is the type users write, `Out` the type the client runs on.
 */
export interface OptionSpec<In, Out> {
  /** The type as documented, e.g. `integer`, `'none' \| 'gzip'`, `function`. */
  readonly type: string
  /** The default as documented; `none` for options that are unset unless given. */
  readonly defaultText: string
  /** What is allowed, as documented and as the error says, e.g. `0 to 2147483647`. */
  readonly allowed: string
  /**
   * Validates `value` (`undefined` when not given) and returns it with its default applied. `path` is the
   * option's name as errors show it (`producer.lingerMs`); `resolved` holds the options declared before it.
   */
  readonly resolve: (path: string, value: unknown, resolved: ResolvedSoFar) => Out
  /** Type-level only: the input type. Never set. */
  readonly input?: In
}

// biome-ignore lint/suspicious/noExplicitAny: the table accepts specs of any input and output type.
export type OptionTable = Readonly<Record<string, OptionSpec<any, any>>>

/** The options object users pass for `T`: every option optional, typed by its spec. */
export type OptionsOf<T extends OptionTable> = {
  -readonly [K in keyof T]?: T[K] extends OptionSpec<infer In, unknown> ? In : never
}

/** `T`'s options after validation, every default applied. */
export type ResolvedOf<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends OptionSpec<unknown, infer Out> ? Out : never
}

/** Declares an option table; the identity, there to check the entries' types where they are written. */
export function defineOptions<const T extends OptionTable>(table: T): T {
  return table
}

/** `name` as errors show it: `scope.name`, or just `name` for the client-wide options. */
export function optionPath(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`
}

/**
 * Validates `input` against `table` and applies defaults, in declaration order. Keys that are neither in
 * the table nor in `otherNames` (options another table of the same object resolves) are rejected as typos.
 *
 * @param scope prefix of option names in errors (`producer`, `run`), `''` for the client-wide options
 * @param unknownScope name of the object in the unknown-option error, `scope` by default
 */
export function resolveOptions<T extends OptionTable>(
  table: T,
  scope: string,
  input: object,
  otherNames: readonly string[] = [],
  unknownScope = scope,
): ResolvedOf<T> {
  rejectUnknownOptions(unknownScope, input, [...Object.keys(table), ...otherNames])
  return resolveDeclared(table, scope, input)
}

/**
 * {@link resolveOptions} without the unknown-key check, for a table that covers part of an object. `context`
 * is visible to every option's `resolve` (values from elsewhere, such as a client-wide default) but is not
 * part of the result.
 */
export function resolveDeclared<T extends OptionTable>(
  table: T,
  scope: string,
  input: object,
  context: ResolvedSoFar = {},
): ResolvedOf<T> {
  const given = input as Record<string, unknown>
  const seen: Record<string, unknown> = { ...context }
  const resolved: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(table)) {
    const value = spec.resolve(optionPath(scope, name), given[name], seen)
    seen[name] = value
    resolved[name] = value
  }
  return resolved as ResolvedOf<T>
}

/** A fixed default, or one computed from the options resolved before. */
type Default<T> = T | ((resolved: ResolvedSoFar) => T)

function defaultOf<T>(fallback: Default<T>, resolved: ResolvedSoFar): T {
  return typeof fallback === 'function' ? (fallback as (r: ResolvedSoFar) => T)(resolved) : fallback
}

function describeDefault(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (Array.isArray(value)) return `[${value.map(describeDefault).join(', ')}]`
  return String(value)
}

const INT32_MAX = 0x7fffffff

/** The built-in kinds of option. Each takes the docs' `defaultText` when the default is computed. */
export const option = {
  /** An integer in `[min, max]`. `check` adds a condition on the options before it. */
  integer(spec: {
    default: Default<number>
    defaultText?: string
    min: number
    max?: number
    /** Runs after the range check, with the value as given (`undefined` when the default applied). */
    check?: (value: number, path: string, resolved: ResolvedSoFar, given: unknown) => void
  }): OptionSpec<number, number> {
    const max = spec.max ?? INT32_MAX
    return {
      type: 'integer',
      defaultText: spec.defaultText ?? describeDefault(spec.default),
      allowed: `${spec.min} to ${max}`,
      resolve: (path, value, resolved) => {
        const minimum = spec.min
        const result = integerOption(path, value, defaultOf(spec.default, resolved), minimum, max)
        spec.check?.(result, path, resolved, value)
        return result
      },
    }
  },

  /** `true` or `false`. */
  boolean(spec: { default: boolean }): OptionSpec<boolean, boolean> {
    return {
      type: 'boolean',
      defaultText: String(spec.default),
      allowed: 'true, false',
      resolve: (path, value) => booleanOption(path, value, spec.default),
    }
  },

  /** A non-empty string, with a default. */
  string(spec: { default: string }): OptionSpec<string, string> {
    return {
      type: 'string',
      defaultText: describeDefault(spec.default),
      allowed: 'a non-empty string',
      resolve: (path, value) => stringOption(path, value, spec.default),
    }
  },

  /** A non-empty string that is unset (`undefined`) unless given. */
  optionalString(): OptionSpec<string, string | undefined> {
    return {
      type: 'string',
      defaultText: 'none',
      allowed: 'a non-empty string',
      resolve: (path, value) => (value === undefined ? undefined : stringOption(path, value, '')),
    }
  },

  /** One of `values`. */
  oneOf<const V extends string | number>(values: readonly V[], spec: { default: V }): OptionSpec<V, V> {
    const listed = values.map((v) => describeDefault(v)).join(', ')
    return {
      type: values.map((v) => describeDefault(v)).join(' | '),
      defaultText: describeDefault(spec.default),
      allowed: listed,
      resolve: (path, value) => enumOption(path, value, values, spec.default),
    }
  },

  /** A function, unset unless given. `shape` describes its signature in errors and docs. */
  optionalFunction<F extends (...args: never[]) => unknown>(
    shape = 'a function',
  ): OptionSpec<F, F | undefined> {
    return {
      type: 'function',
      defaultText: 'none',
      allowed: shape,
      resolve: (path, value) => {
        if (value === undefined) return undefined
        if (typeof value !== 'function') throw new ConfigError(path, `expected ${shape}, got ${typeof value}`)
        return value as F
      },
    }
  },

  /** Anything else: the resolve function does the validation and applies the default. */
  custom<In, Out>(spec: {
    type: string
    defaultText: string
    allowed: string
    resolve: (path: string, value: unknown, resolved: ResolvedSoFar) => Out
  }): OptionSpec<In, Out> {
    return spec
  },
}
