/** The bootstrap address integration tests talk to. */

/** The default when nothing else says otherwise: the rig's single broker on its default port. */
export const DEFAULT_TEST_BOOTSTRAP = '127.0.0.1:9092'

/**
 * `KAFKA_BOOTSTRAP` as the integration global setup left it (or as the developer set it), else the rig's
 * default address. Tests call this rather than reading the environment themselves.
 */
export function kafkaBootstrap(): string {
  const value = process.env.KAFKA_BOOTSTRAP?.trim()
  return value === undefined || value === '' ? DEFAULT_TEST_BOOTSTRAP : value
}

/** A topic or group name no other test (or earlier run) uses: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}
