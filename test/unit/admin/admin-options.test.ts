import { describe, expect, it } from 'vitest'
import {
  resolveCreateTopicsOptions,
  resolveNewTopics,
  resolveTopicConfigChange,
  resolveTopicNames,
} from '../../../src/admin/admin-options.ts'
import { ConfigError } from '../../../src/common/errors.ts'

function optionOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    if (error instanceof ConfigError) return error.option
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('admin argument validation', () => {
  it('fills defaults for new topics', () => {
    expect(
      resolveNewTopics([{ topic: 'a' }, { topic: 'b', partitions: 3, configs: { 'retention.ms': '1' } }]),
    ).toEqual([
      { topic: 'a', partitions: 1, replicationFactor: 1, configs: [] },
      { topic: 'b', partitions: 3, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1' }] },
    ])
  })

  it('names the offending option', () => {
    expect(optionOf(() => resolveNewTopics([]))).toBe('topics')
    expect(optionOf(() => resolveNewTopics([{ topic: 'bad name' }]))).toBe('topics[0].topic')
    expect(optionOf(() => resolveNewTopics([{ topic: 'a', partitions: 0 }]))).toBe('topics[0].partitions')
    expect(optionOf(() => resolveNewTopics([{ topic: 'a', replicationFactor: 0 }]))).toBe(
      'topics[0].replicationFactor',
    )
    expect(optionOf(() => resolveNewTopics([{ topic: 'a' }, { topic: 'a' }]))).toBe('topics[1].topic')
    expect(optionOf(() => resolveNewTopics([{ topic: 'a', partition: 2 }]))).toBe('topics[0].partition')
    expect(optionOf(() => resolveNewTopics([{ topic: 'a', configs: { x: 1 } }]))).toBe('topics[0].configs.x')
    expect(optionOf(() => resolveCreateTopicsOptions({ timeoutMs: -1 }))).toBe('options.timeoutMs')
    expect(optionOf(() => resolveTopicNames('topics', ['ok', '..']))).toBe('topics[1]')
    expect(optionOf(() => resolveTopicConfigChange({}))).toBe('change')
    expect(optionOf(() => resolveTopicConfigChange({ set: { a: '1' }, delete: ['a'] }))).toBe('change.delete')
  })
})
