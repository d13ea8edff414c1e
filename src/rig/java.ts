/**
 * Locating the JVM. The rig shells out to `java` for the broker and the Apache Kafka tools; `$JAVA_HOME`
 * wins over `PATH` so a developer with several JDKs can pick one without editing PATH.
 */

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { KAFKA_VERSION } from './paths.ts'
import { RigError } from './rig-error.ts'

let verifiedJava: string | undefined

/** The `java` executable to run, verified to start. Throws {@link RigError} `java-missing` otherwise. */
export function javaExecutable(): string {
  if (verifiedJava !== undefined) return verifiedJava
  const javaHome = process.env.JAVA_HOME
  const candidate = javaHome !== undefined && javaHome !== '' ? join(javaHome, 'bin', 'java') : 'java'
  const check = spawnSync(candidate, ['-version'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 })
  if (check.error !== undefined || check.status !== 0) {
    const why = check.error?.message ?? check.stderr.toString().trim()
    throw new RigError(
      'java-missing',
      `cannot run ${candidate} (${why}); Apache Kafka ${KAFKA_VERSION} needs Java 17 or newer on PATH or in $JAVA_HOME`,
      check.error,
    )
  }
  verifiedJava = candidate
  return candidate
}

/** The classpath naming every jar in `libsDir`, in the JVM's own wildcard form. */
export function classpathOf(libsDir: string): string {
  return join(libsDir, '*')
}
