/**
 * Compiles and runs RecordFixtures.java against the Kafka jars, for the interop tests and to regenerate
 * test/fixtures/records/.
 *
 *   node tools/java-fixtures/java-fixtures.ts write test/fixtures/records
 *
 * Classes are compiled into ~/.cache/samsa/java-fixtures/<hash of the source>/, so a run after the first
 * costs only the JVM start.
 */

import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'

const SOURCE = new URL('./RecordFixtures.java', import.meta.url).pathname

/** Where the Kafka 4.3.1 distribution's jars are (override with KAFKA_LIBS). */
export function kafkaLibs(): string {
  return process.env.KAFKA_LIBS ?? join(homedir(), '.cache', 'samsa', 'kafka-4.3.1', 'libs')
}

/** True when javac and the Kafka jars are both present. */
export function javaFixturesAvailable(): boolean {
  if (!existsSync(join(kafkaLibs(), 'kafka-clients-4.3.1.jar'))) return false
  try {
    execFileSync('javac', ['-version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Compiles RecordFixtures.java unless this exact source was compiled before; returns the class path. */
export function compileJavaFixtures(): string {
  const source = readFileSync(SOURCE)
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16)
  const classes = join(homedir(), '.cache', 'samsa', 'java-fixtures', hash)
  if (!existsSync(join(classes, 'RecordFixtures.class'))) {
    mkdirSync(classes, { recursive: true })
    execFileSync('javac', ['-d', classes, '-cp', join(kafkaLibs(), '*'), SOURCE], { stdio: 'inherit' })
  }
  return `${classes}${delimiter}${join(kafkaLibs(), '*')}`
}

/** Runs RecordFixtures with `args` (and `stdin`, if given); returns its standard output. */
export function runJavaFixtures(args: string[], stdin?: string): string {
  const classPath = compileJavaFixtures()
  return execFileSync('java', ['-cp', classPath, 'RecordFixtures', ...args], {
    input: stdin,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
}

if (import.meta.main) {
  process.stdout.write(runJavaFixtures(process.argv.slice(2)))
}
