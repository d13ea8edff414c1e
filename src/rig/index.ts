/** The broker rig: what `samsa broker …`, the test setup, the demo and the benchmarks use. */

export type {
  BrokerLocation,
  BrokerStatus,
  NodeStatus,
  RunningBroker,
  StartBrokerOptions,
  StopBrokerOptions,
  StopBrokerResult,
} from './broker.ts'
export { brokerStatus, checkExternalCluster, restartNode, startBroker, stopBroker } from './broker.ts'
export type { EnsureKafkaJarsOptions, KafkaJars } from './jars.ts'
export { ensureKafkaJars } from './jars.ts'
export { javaExecutable } from './java.ts'
export { defaultCacheDir, defaultStateDir, KAFKA_VERSION, kafkaLibsDir } from './paths.ts'
export { type ProbeResult, probeApiVersions } from './probe.ts'
export { RigError, type RigErrorReason } from './rig-error.ts'
export {
  RIG_SASL_PASSWORD,
  RIG_SASL_USER,
  type RigSecurity,
} from './security.ts'
export type { ExtraConfig, RigNode } from './server-properties.ts'
