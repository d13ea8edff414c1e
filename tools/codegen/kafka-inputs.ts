/**
 * Makes sure the two jars the generator reads are on disk: kafka-clients (the message schemas) and its
 * sources jar (the `Errors` enum). Both come from Maven Central into the rig's cache, so a fresh checkout can
 * run `npm run generate -- --check` before anything else has downloaded Kafka.
 */

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { ensureKafkaJars } from '../../src/rig/index.ts'
import { kafkaClientsSourcesJarPath } from './emit-error-codes.ts'
import { kafkaClientsJarPath } from './schema.ts'

export async function ensureGeneratorInputs(): Promise<void> {
  if (!existsSync(kafkaClientsJarPath())) await ensureKafkaJars()
  const sourcesJar = kafkaClientsSourcesJarPath()
  if (existsSync(sourcesJar)) return
  process.stderr.write(
    `fetching kafka-clients 4.3.1 sources from Maven Central into ${dirname(sourcesJar)}\n`,
  )
  mkdirSync(dirname(sourcesJar), { recursive: true })
  execFileSync(
    'mvn',
    [
      '-q',
      '-B',
      'dependency:copy',
      '-Dartifact=org.apache.kafka:kafka-clients:4.3.1:jar:sources',
      `-DoutputDirectory=${dirname(sourcesJar)}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
}
