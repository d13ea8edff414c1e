/**
 * What topic and group configs share on the wire: DescribeConfigs' sources and entries, and the
 * IncrementalAlterConfigs change both admin calls send and then wait to see applied.
 */

import type { ConfigEntry, ConfigSource } from './types.ts'

/** Config resource types in DescribeConfigs / IncrementalAlterConfigs. */
export const TOPIC_RESOURCE = 2
export const GROUP_RESOURCE = 32

/** IncrementalAlterConfigs operations. */
const SET_CONFIG = 0
const DELETE_CONFIG = 1

/** A validated change: values to set, and overrides to remove (back to what the resource inherits). */
export interface ConfigChange {
  set: Array<{ name: string; value: string }>
  delete: string[]
}

/** DescribeConfigs reports where a value comes from as an int8; these are its meanings, by id. */

const sourcesById: readonly ConfigSource[] = [
  'unknown',
  'topic',
  'dynamic-broker',
  'dynamic-default-broker',
  'static-broker',
  'default',
  'dynamic-broker-logger',
  'client-metrics',
  'group',
]

export function configSourceName(id: number): ConfigSource {
  return sourcesById[id] ?? 'unknown'
}

/** A DescribeConfigs result's configs as entries by name, sorted by name. */
export function configEntries(
  configs: readonly {
    name: string
    value: string | null
    configSource: number
    readOnly: boolean
    isSensitive: boolean
  }[],
): Map<string, ConfigEntry> {
  const entries = new Map<string, ConfigEntry>()
  for (const config of [...configs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    entries.set(config.name, {
      name: config.name,
      value: config.value,
      source: configSourceName(config.configSource),
      readOnly: config.readOnly,
      sensitive: config.isSensitive,
    })
  }
  return entries
}

/** The IncrementalAlterConfigs resource that makes `change` on one topic or group. */
export function alterConfigsResource(resourceType: number, resourceName: string, change: ConfigChange) {
  return {
    resourceType,
    resourceName,
    configs: [
      ...change.set.map((entry) => ({ name: entry.name, configOperation: SET_CONFIG, value: entry.value })),
      ...change.delete.map((name) => ({ name, configOperation: DELETE_CONFIG, value: null })),
    ],
  }
}

/**
 * Whether described `configs` show `change` in effect: every value set, and every removed override no
 * longer coming from the resource itself (`ownSource`: `topic` or `group`).
 */
export function configChangeApplied(
  configs: ReadonlyMap<string, ConfigEntry>,
  change: ConfigChange,
  ownSource: ConfigSource,
): boolean {
  return (
    change.set.every((entry) => configs.get(entry.name)?.value === entry.value) &&
    change.delete.every((name) => configs.get(name)?.source !== ownSource)
  )
}
