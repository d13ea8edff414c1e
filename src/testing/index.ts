/**
 * `samsa/testing`: what an application's own tests need to exercise samsa (or any Kafka client) without a
 * JVM: the in-process broker with fault injection. See docs/testing.md.
 */

export type {
  CommittedOffsetView,
  FaultRule,
  InjectedFault,
  TestBroker,
  TestBrokerOptions,
  TestTopicSpec,
} from './test-broker.ts'
export { startTestBroker } from './test-broker.ts'
