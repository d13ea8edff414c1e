/**
 * Resolving Apache Kafka's jars from Maven Central. The rig needs a broker and the official tools but not a
 * Kafka tarball: Maven already knows the exact runtime classpath of `kafka_2.13`, `kafka-tools` and
 * `kafka-clients`, so a throwaway pom plus `dependency:copy-dependencies` yields a complete `libs/`.
 *
 * A resolve is trusted only once it has written a marker listing what it produced; a directory without
 * the marker (an interrupted download, a hand-made copy) is resolved again rather than guessed at.
 */

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { classpathOf } from './java.ts'
import { toolsLog4jConfig } from './log4j-config.ts'
import { defaultCacheDir, KAFKA_VERSION, kafkaHome, kafkaLibsDir } from './paths.ts'
import { RigError } from './rig-error.ts'

/**
 * The SLF4J binding. Kafka 4 compiles against SLF4J 1.7 and ships log4j2, so the matching bridge is
 * log4j-slf4j-impl at the log4j-core version Kafka's own dependencies bring in.
 */
const LOG4J_VERSION = '2.25.4'

const ARTIFACTS: readonly (readonly [group: string, artifact: string, version: string])[] = [
  ['org.apache.kafka', 'kafka_2.13', KAFKA_VERSION],
  ['org.apache.kafka', 'kafka-tools', KAFKA_VERSION],
  ['org.apache.kafka', 'kafka-clients', KAFKA_VERSION],
  ['org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION],
]

/** Jars whose absence means the directory cannot run a broker or the tools, marker or not. */
const REQUIRED_JARS = ARTIFACTS.map(([, artifact, version]) => `${artifact}-${version}.jar`)

const MARKER_FILE = 'libs.complete.json'

interface Marker {
  kafkaVersion: string
  jars: string[]
  resolvedAt: string
}

export interface EnsureKafkaJarsOptions {
  /** Defaults to `$SAMSA_CACHE_DIR`, else `~/.cache/samsa`. */
  cacheDir?: string
  /** Receives progress lines; defaults to writing them to stderr. */
  progress?: (line: string) => void
}

export interface KafkaJars {
  /** `<cache>/kafka-4.3.1/libs`. */
  libsDir: string
  /** `<libsDir>/*`, ready for `java -cp`. */
  classpath: string
  /** A log4j2 config that keeps the tools quiet (warnings to stderr). */
  toolsLog4jConfig: string
  /** False when a verified earlier resolve was reused. */
  resolved: boolean
}

const defaultProgress = (line: string) => process.stderr.write(`samsa: ${line}\n`)

function pomXml(): string {
  const dependencies = ARTIFACTS.map(
    ([group, artifact, version]) =>
      `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`,
  )
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>dev.samsa</groupId><artifactId>kafka-rig</artifactId><version>1</version><packaging>pom</packaging>',
    '  <dependencies>',
    ...dependencies,
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n')
}

/** True when `libsDir` holds a marker from a finished resolve and every jar it lists is still there. */
function isVerified(home: string, libsDir: string): boolean {
  const markerPath = join(home, MARKER_FILE)
  if (!existsSync(markerPath)) return false
  let marker: Marker
  try {
    marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker
  } catch {
    return false
  }
  if (marker.kafkaVersion !== KAFKA_VERSION || !Array.isArray(marker.jars)) return false
  for (const jar of new Set([...marker.jars, ...REQUIRED_JARS])) {
    const path = join(libsDir, jar)
    if (!existsSync(path) || statSync(path).size === 0) return false
  }
  return true
}

function requireMaven(): void {
  const check = spawnSync('mvn', ['-v'], { stdio: 'ignore', timeout: 60_000 })
  if (check.error !== undefined || check.status !== 0) {
    throw new RigError(
      'mvn-missing',
      `cannot run mvn (${check.error?.message ?? `exit code ${check.status}`}); Maven is needed once to download Apache Kafka ${KAFKA_VERSION} into the cache`,
      check.error,
    )
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

function runMaven(cwd: string, outputDirectory: string, logPath: string): Promise<void> {
  const args = [
    '-q',
    '-B',
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${outputDirectory}`,
  ]
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', (error) =>
      reject(new RigError('mvn-missing', `cannot run mvn: ${error.message}`, error)),
    )
    child.on('close', (code) => {
      writeFileSync(logPath, output)
      if (code === 0) resolve()
      else {
        reject(
          new RigError(
            'download-failed',
            `resolving Apache Kafka ${KAFKA_VERSION} with Maven failed (exit code ${code}; full log in ${logPath}):\n${tail(output, 20)}`,
          ),
        )
      }
    })
  })
}

/**
 * Makes sure Apache Kafka's jars are in `<cache>/kafka-4.3.1/libs`, downloading them with Maven when the
 * cache is missing or unverified. Safe to call on every start: a verified cache costs a few `stat` calls.
 */
export async function ensureKafkaJars(options: EnsureKafkaJarsOptions = {}): Promise<KafkaJars> {
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const progress = options.progress ?? defaultProgress
  const home = kafkaHome(cacheDir)
  const libsDir = kafkaLibsDir(cacheDir)
  mkdirSync(home, { recursive: true })
  const log4jPath = join(home, 'tools-log4j2.properties')
  if (!existsSync(log4jPath)) writeFileSync(log4jPath, toolsLog4jConfig())
  const result = (resolved: boolean): KafkaJars => ({
    libsDir,
    classpath: classpathOf(libsDir),
    toolsLog4jConfig: log4jPath,
    resolved,
  })

  if (isVerified(home, libsDir)) return result(false)

  requireMaven()
  progress(
    `resolving Apache Kafka ${KAFKA_VERSION} from Maven Central into ${libsDir} (minutes on a cold ~/.m2)`,
  )
  const startedAt = Date.now()
  writeFileSync(join(home, 'pom.xml'), pomXml())
  // Resolve beside the live directory and swap it in, so a JVM already running from libs/ never sees a
  // half-written jar and an interrupted download leaves nothing that looks complete.
  const staging = join(home, `libs.staging-${process.pid}`)
  rmSync(staging, { recursive: true, force: true })
  try {
    await runMaven(home, staging, join(home, 'mvn.log'))
    const jars = (await readdir(staging)).filter((name) => name.endsWith('.jar')).sort()
    const missing = REQUIRED_JARS.filter((jar) => !jars.includes(jar))
    if (missing.length > 0) {
      throw new RigError('download-failed', `Maven finished but did not produce ${missing.join(', ')}`)
    }
    const retired = join(home, `libs.retired-${process.pid}`)
    if (existsSync(libsDir)) renameSync(libsDir, retired)
    renameSync(staging, libsDir)
    rmSync(retired, { recursive: true, force: true })
    const marker: Marker = { kafkaVersion: KAFKA_VERSION, jars, resolvedAt: new Date().toISOString() }
    writeFileSync(join(home, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`)
    progress(`resolved ${jars.length} jars in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return result(true)
}
