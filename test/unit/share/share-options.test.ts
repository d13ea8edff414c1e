import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/common/errors.ts'
import { resolveShareConsumerOptions } from '../../../src/consumer/share/share-options.ts'
import { resolveShareRunOptions } from '../../../src/processing/share-run-options.ts'

describe('share consumer options', () => {
  it('requires groupId and applies the defaults', () => {
    expect(() => resolveShareConsumerOptions({} as { groupId: string })).toThrow(/shareConsumer\.groupId/)
    const resolved = resolveShareConsumerOptions({ groupId: 'g' })
    expect(resolved).toMatchObject({ groupId: 'g', acknowledgement: 'implicit', maxPollRecords: 500 })
  })

  it('rejects unknown options and bad values, naming them', () => {
    expect(() => resolveShareConsumerOptions({ groupId: 'g', autoOffsetReset: 'earliest' } as never)).toThrow(
      ConfigError,
    )
    expect(() => resolveShareConsumerOptions({ groupId: 'g', acknowledgement: 'manual' as never })).toThrow(
      /acknowledgement/,
    )
  })
})

describe('share run options', () => {
  it('takes exactly one of eachMessage and eachBatch', () => {
    const handler = async () => {}
    expect(() => resolveShareRunOptions({})).toThrow(/exactly one/)
    expect(() => resolveShareRunOptions({ eachMessage: handler, eachBatch: handler })).toThrow(/exactly one/)
    expect(resolveShareRunOptions({ eachBatch: handler })).toMatchObject({
      concurrency: 1,
      onHandlerError: 'release',
    })
  })
})
