/** DescribeConfigs reports where a value comes from as an int8; these are its meanings, by id. */

import type { ConfigSource } from './types.ts'

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
