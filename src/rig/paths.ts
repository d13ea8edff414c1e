/**
 * Where the rig keeps things on disk. Everything lives under one cache directory so CI can cache the jars
 * with a single path and a developer can wipe the rig with one `rm -rf`.
 */

import { homedir } from 'node:os'
import { join } from 'node:path'

/** The Apache Kafka release the rig runs and the Java tools come from. */
export const KAFKA_VERSION = '4.3.1'

/** `$SAMSA_CACHE_DIR`, else `~/.cache/samsa`. */
export function defaultCacheDir(): string {
  const fromEnv = process.env.SAMSA_CACHE_DIR
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.cache', 'samsa')
}

/** `<cache>/kafka-<version>`: the throwaway pom, mvn's log and the resolved `libs/`. */
export function kafkaHome(cacheDir = defaultCacheDir()): string {
  return join(cacheDir, `kafka-${KAFKA_VERSION}`)
}

/** The directory holding every jar of the broker and the tools; `<dir>/*` is the Java classpath. */
export function kafkaLibsDir(cacheDir = defaultCacheDir()): string {
  return join(kafkaHome(cacheDir), 'libs')
}

/** `<cache>/brokers/<port>`: one state directory per rig, keyed by its first broker port. */
export function defaultStateDir(port: number, cacheDir = defaultCacheDir()): string {
  return join(cacheDir, 'brokers', String(port))
}
