/**
 * Validation of admin call arguments. The broker would reject most of these too, but only after a round trip
 * and with a message that names neither the option nor the value, so they are checked here first.
 */

import { ConfigError } from '../common/errors.ts'
import { type ResolvedOf, resolveOptions } from '../common/option-table.ts'
import {
  integerOption,
  rejectUnknownOptions,
  validateOffset,
  validatePartition,
  validateTopicName,
} from '../common/validate.ts'
import {
  createTopicsOptionTable,
  deleteTopicsOptionTable,
  listTopicsOptionTable,
  timeoutOptionTable,
} from './call-options.ts'
import type { NewPartitions, NewTopic, RecordsToDelete, TopicConfigChange } from './types.ts'

export { defaultAdminTimeoutMs } from './call-options.ts'

export interface ResolvedNewTopic {
  topic: string
  partitions: number
  replicationFactor: number
  configs: Array<{ name: string; value: string }>
}

function requireObject(option: string, value: unknown): object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(option, `expected an object, got ${value === null ? 'null' : typeof value}`)
  }
  return value
}

function requireNonEmptyArray(option: string, value: unknown): unknown[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(option, 'expected a non-empty array')
  }
  return value
}

/** Topic names, each legal and none repeated (the broker answers a repeated name with INVALID_REQUEST). */
export function resolveTopicNames(option: string, names: unknown): string[] {
  const list = requireNonEmptyArray(option, names)
  const seen = new Set<string>()
  return list.map((name, index) => {
    const topic = validateTopicName(`${option}[${index}]`, name)
    if (seen.has(topic)) throw new ConfigError(`${option}[${index}]`, `topic "${topic}" is listed twice`)
    seen.add(topic)
    return topic
  })
}

function resolveConfigs(option: string, configs: unknown): Array<{ name: string; value: string }> {
  if (configs === undefined) return []
  const record = requireObject(option, configs) as Record<string, unknown>
  return Object.entries(record).map(([name, value]) => {
    if (typeof value !== 'string') {
      throw new ConfigError(`${option}.${name}`, `expected a string value, got ${typeof value}`)
    }
    return { name, value }
  })
}

export function resolveNewTopics(topics: unknown): ResolvedNewTopic[] {
  const list = requireNonEmptyArray('topics', topics)
  const seen = new Set<string>()
  return list.map((entry, index) => {
    const path = `topics[${index}]`
    const spec = requireObject(path, entry) as NewTopic
    rejectUnknownOptions(path, spec, ['topic', 'partitions', 'replicationFactor', 'configs'])
    const topic = validateTopicName(`${path}.topic`, spec.topic)
    if (seen.has(topic)) throw new ConfigError(`${path}.topic`, `topic "${topic}" is listed twice`)
    seen.add(topic)
    return {
      topic,
      partitions: integerOption(`${path}.partitions`, spec.partitions, 1, 1, 0x7fffffff),
      // int16 on the wire.
      replicationFactor: integerOption(`${path}.replicationFactor`, spec.replicationFactor, 1, 1, 0x7fff),
      configs: resolveConfigs(`${path}.configs`, spec.configs),
    }
  })
}

export type ResolvedCreateTopicsOptions = ResolvedOf<typeof createTopicsOptionTable>

export function resolveCreateTopicsOptions(options: unknown): ResolvedCreateTopicsOptions {
  return resolveOptions(createTopicsOptionTable, 'options', requireObject('options', options ?? {}))
}

export type ResolvedDeleteTopicsOptions = ResolvedOf<typeof deleteTopicsOptionTable>

export function resolveDeleteTopicsOptions(options: unknown): ResolvedDeleteTopicsOptions {
  return resolveOptions(deleteTopicsOptionTable, 'options', requireObject('options', options ?? {}))
}

/** Options that carry only a bound on the whole operation. */
export function resolveTimeoutOptions(options: unknown): { timeoutMs: number } {
  return resolveOptions(timeoutOptionTable, 'options', requireObject('options', options ?? {}))
}

/** Milliseconds since the epoch. */
export function resolveTimestamp(option: string, timestamp: unknown): number {
  return integerOption(option, timestamp, 0, 0)
}

export function resolveListTopicsOptions(options: unknown): { includeInternal: boolean } {
  return resolveOptions(listTopicsOptionTable, 'options', requireObject('options', options ?? {}))
}

export function resolveNewPartitions(requests: unknown): NewPartitions[] {
  const list = requireNonEmptyArray('partitions', requests)
  const seen = new Set<string>()
  return list.map((entry, index) => {
    const path = `partitions[${index}]`
    const spec = requireObject(path, entry) as NewPartitions
    rejectUnknownOptions(path, spec, ['topic', 'count'])
    const topic = validateTopicName(`${path}.topic`, spec.topic)
    if (seen.has(topic)) throw new ConfigError(`${path}.topic`, `topic "${topic}" is listed twice`)
    seen.add(topic)
    return { topic, count: integerOption(`${path}.count`, spec.count, 0, 1, 0x7fffffff) }
  })
}

export function resolveTopicConfigChange(change: unknown): {
  set: Array<{ name: string; value: string }>
  delete: string[]
} {
  const given = requireObject('change', change) as TopicConfigChange
  rejectUnknownOptions('change', given, ['set', 'delete'])
  const set = resolveConfigs('change.set', given.set)
  const deleted = given.delete === undefined ? [] : given.delete
  if (!Array.isArray(deleted) || deleted.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new ConfigError('change.delete', 'expected an array of config names')
  }
  for (const name of deleted) {
    if (set.some((entry) => entry.name === name)) {
      throw new ConfigError('change.delete', `config "${name}" is both set and deleted`)
    }
  }
  if (set.length === 0 && deleted.length === 0) {
    throw new ConfigError('change', 'nothing to change: give configs to set or delete')
  }
  return { set, delete: deleted }
}

export function resolveRecordsToDelete(records: unknown): RecordsToDelete[] {
  const list = requireNonEmptyArray('records', records)
  return list.map((entry, index) => {
    const path = `records[${index}]`
    const spec = requireObject(path, entry) as RecordsToDelete
    rejectUnknownOptions(path, spec, ['partition', 'offset'])
    const partition = validatePartition(`${path}.partition`, spec.partition)
    const offset = spec.offset === -1n ? -1n : validateOffset(`${path}.offset`, spec.offset)
    return { partition, offset }
  })
}
