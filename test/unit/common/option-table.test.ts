import { describe, expect, it } from 'vitest'
import { clientOptionTable } from '../../../src/cluster/client-options.ts'
import { ConfigError } from '../../../src/common/errors.ts'
import { defineOptions, option, resolveOptions } from '../../../src/common/option-table.ts'
import { Kafka } from '../../../src/kafka.ts'
import { producerOptionTable, resolveProducerOptions } from '../../../src/producer/producer-options.ts'
import { entryDocs, renderOptionsDoc } from '../../../tools/options-doc.ts'

const table = defineOptions({
  /** A number. */
  size: option.integer({ default: 10, min: 1, max: 100 }),
  /** Depends on size. */
  limit: option.integer({
    default: (resolved) => (resolved.size as number) * 2,
    defaultText: 'size * 2',
    min: 0,
    check: (value, path, resolved) => {
      if (value < (resolved.size as number)) throw new ConfigError(path, 'must be at least size')
    },
  }),
  mode: option.oneOf(['fast', 'safe'] as const, { default: 'safe' }),
  enabled: option.boolean({ default: true }),
  label: option.optionalString(),
})

function configError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('resolveOptions', () => {
  it('applies every default, in declaration order so later defaults can use earlier options', () => {
    expect(resolveOptions(table, 'thing', {})).toEqual({
      size: 10,
      limit: 20,
      mode: 'safe',
      enabled: true,
      label: undefined,
    })
    expect(resolveOptions(table, 'thing', { size: 30 }).limit).toBe(60)
  })

  it('names the option, the value and what is allowed', () => {
    const error = configError(() => resolveOptions(table, 'thing', { size: 0 }))
    expect(error.option).toBe('thing.size')
    expect(error.message).toContain('1 to 100')
    expect(error.message).toContain('got 0')
    const mode = configError(() => resolveOptions(table, 'thing', { mode: 'quick' }))
    expect(mode.option).toBe('thing.mode')
    expect(mode.message).toContain('"fast", "safe"')
    expect(mode.message).toContain('"quick"')
  })

  it('runs cross-option checks declared on the later option', () => {
    expect(configError(() => resolveOptions(table, 'thing', { size: 50, limit: 10 })).option).toBe(
      'thing.limit',
    )
  })

  it('rejects unknown keys, except those another table of the same object resolves', () => {
    expect(configError(() => resolveOptions(table, 'thing', { sise: 5 })).option).toBe('thing.sise')
    expect(resolveOptions(table, 'thing', { other: 1 }, ['other']).size).toBe(10)
  })
})

describe('the client tables', () => {
  it('a client-wide requestTimeoutMs reaches the producer, unless the producer sets its own', async () => {
    const kafka = new Kafka({ bootstrap: '127.0.0.1:1', requestTimeoutMs: 45_000 })
    const producer = kafka.producer()
    const own = kafka.producer({ requestTimeoutMs: 7000 })
    try {
      expect(producer.options.requestTimeoutMs).toBe(45_000)
      expect(own.options.requestTimeoutMs).toBe(7000)
    } finally {
      await producer.close()
      await own.close()
    }
    expect(resolveProducerOptions({}).requestTimeoutMs).toBe(30_000)
    // deliveryTimeoutMs must cover lingerMs + requestTimeoutMs, with the inherited value too.
    expect(resolveProducerOptions({}, { requestTimeoutMs: 200_000 }).deliveryTimeoutMs).toBe(200_005)
  })

  it('document every option: each entry has a doc comment, and the reference lists it', () => {
    const rendered = renderOptionsDoc()
    for (const name of Object.keys(clientOptionTable)) expect(rendered).toContain(`| \`${name}\` |`)
    for (const name of Object.keys(producerOptionTable)) expect(rendered).toContain(`| \`${name}\` |`)
    expect(rendered).toContain('All four codecs are built in')
  })

  it('reads the doc comment of each table entry, shorthand entries included', () => {
    const source = [
      'export const t = defineOptions({',
      '  /** First. */',
      '  a: option.boolean({ default: true }),',
      '  /**',
      '   * Second, on',
      '   * two lines with {@link Thing}.',
      '   */',
      '  b,',
      '  c: option.boolean({ default: true }),',
      '})',
    ].join('\n')
    expect([...entryDocs(source, 't')]).toEqual([
      ['a', 'First.'],
      ['b', 'Second, on two lines with `Thing`.'],
    ])
  })
})
