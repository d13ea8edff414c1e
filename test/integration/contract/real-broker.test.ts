import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { defineOffsetContract } from './offset-contract.ts'

defineOffsetContract('the JVM broker (KAFKA_BOOTSTRAP)', { bootstrap: kafkaBootstrap })
