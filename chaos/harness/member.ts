/**
 * A chaos member: one consumer in its own process, killed with SIGKILL or stopped with SIGTERM by the
 * harness. Every message it processes goes into its ledger (see ledger.ts) before the handler returns; in the
 * exactly-once modes it also writes the message's outputs where the checker reads them back (the output
 * topic, or the results table).
 *
 * Usage: node chaos/harness/member.ts '<MemberOptions as JSON>'. With `faultProxy`, the parent sends Fault
 * objects over IPC and they are applied to every broker connection of this process.
 */

import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { resolveClientOptions } from '../../src/cluster/client-options.ts'
import { Cluster } from '../../src/cluster/cluster.ts'
import { createConsoleLogger, type LogLevel } from '../../src/common/logger.ts'
import type { TopicPartition } from '../../src/common/types.ts'
import { KafkaConsumer } from '../../src/kafka.ts'
import { PostgresOffsetStore } from '../../src/postgres/index.ts'
import type { EachMessagePayload, RunOptions } from '../../src/processing/run-options.ts'
import { Producer } from '../../src/producer/producer.ts'
import { type Fault, FaultProxy } from './fault-proxy.ts'
import { LedgerWriter } from './ledger.ts'
import type { MemberOptions } from './types.ts'

const options = JSON.parse(process.argv[2] ?? '') as MemberOptions
const ledger = new LedgerWriter(options.ledger)

const proxy = options.faultProxy === true ? new FaultProxy() : undefined
if (proxy !== undefined) process.on('message', (fault) => proxy.apply(fault as Fault))

const clientOptions = resolveClientOptions({
  bootstrap: options.bootstrap,
  clientId: `chaos-${process.pid}`,
  // The client's log goes to stderr, which the harness keeps beside the ledger (CHAOS_LOG sets the level:
  // debug, info, warn, silent), so a failed row can be traced member by member.
  logger: createConsoleLogger((process.env.CHAOS_LOG ?? 'info') as LogLevel),
  ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
})
const cluster = new Cluster({ ...clientOptions, socketFactory: proxy?.socketFactory })
const classic = options.groupProtocol === 'classic'
const consumer = new KafkaConsumer(cluster, {
  groupId: options.group,
  groupProtocol: options.groupProtocol,
  enableAutoCommit: false,
  autoOffsetReset: 'earliest',
  isolationLevel: 'read_committed',
  maxPollRecords: 50,
  // A killed classic member's partitions move after this long; KIP-848 groups get the same 6 s from a group
  // config the harness sets (consumer.session.timeout.ms).
  ...(classic ? { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 20_000 } : {}),
  // Every commit's outcome goes to the member's log, so a committed offset that the monitor saw move
  // backwards can be traced to the member (and generation) that sent it.
  onCommit: (event) => {
    const { generationId, memberId } = consumer.groupMetadata()
    const offsets = event.offsets.map((o) => `${o.partition}@${o.offset}`).join(' ')
    const outcome = event.error === null ? 'ok' : `failed ${String(event.error)}`
    process.stderr.write(
      `${new Date().toISOString()} commit ${event.reason} generation ${generationId} member ${memberId}: ${offsets} ${outcome}\n`,
    )
  },
})

const work = async (): Promise<void> => {
  if (options.workMs > 0) await sleep(options.workMs)
}
const idOf = (payload: EachMessagePayload): string => payload.message.value?.toString() ?? ''

/** A rebalance event, into the ledger (a lost partition ends its session like a revoked one) and the log. */
function noteRebalance(kind: 'assigned' | 'revoked' | 'lost', partitions: readonly TopicPartition[]): void {
  const numbers = partitions.map((tp) => tp.partition)
  ledger.session(kind === 'assigned' ? 'assigned' : 'revoked', numbers)
  const { generationId } = consumer.groupMetadata()
  process.stderr.write(
    `${new Date().toISOString()} ${kind} generation ${generationId}: ${numbers.join(' ')}\n`,
  )
}

let producer: Producer | undefined
let producerCluster: Cluster | undefined
let pool: pg.Pool | undefined
const run: RunOptions = {
  topics: [options.topic],
  handleSignals: true,
  ordering: options.ordering,
  maxInFlightPerPartition: options.inFlightPerPartition,
  partitionsConcurrency: 4,
  // Errors run() reports but survives (a failed commit, a handler failure it retries).
  onError: (error) => {
    process.stderr.write(`onError: ${String(error)}\n`)
  },
  retry: { initialBackoffMs: 50, attempts: 1_000_000 },
  rebalanceListener: {
    onPartitionsAssigned: (partitions) => noteRebalance('assigned', partitions),
    onPartitionsRevoked: (partitions) => noteRebalance('revoked', partitions),
    onPartitionsLost: (partitions) => noteRebalance('lost', partitions),
  },
  eachMessage: async (payload) => {
    await work()
    ledger.processed(payload.message.partition, payload.message.offset, idOf(payload))
  },
}

switch (options.mode) {
  case 'at-least-once':
    Object.assign(run, { ack: 'after-success', commit: { everyMs: options.commitEveryMs } })
    break
  case 'at-most-once':
    Object.assign(run, { ack: 'before-processing', commit: { everyMs: options.commitEveryMs } })
    break
  case 'exactly-once-txn': {
    // A short transaction timeout bounds how long a member killed mid-transaction (whose slot is not
    // reused) can hold back read_committed readers of the output and its offsets.
    // Its own connections: on the consumer's, every transactional request queued behind a fetch long-poll.
    producerCluster = new Cluster({ ...clientOptions, socketFactory: proxy?.socketFactory })
    producer = new Producer(producerCluster, {
      transactionalId: options.transactionalId!,
      lingerMs: 0,
      transactionTimeoutMs: 10_000,
    })
    const output = options.outputTopic!
    Object.assign(run, {
      transactional: { producer },
      eachMessage: async (payload: EachMessagePayload) => {
        const id = idOf(payload)
        const tx = payload.transaction as Producer
        // Two outputs per input in one transaction: seeing only one of them is a torn transaction.
        await tx.send({ topic: output, key: id, value: `${id}#a` })
        await work()
        await tx.send({ topic: output, key: id, value: `${id}#b` })
        ledger.processed(payload.message.partition, payload.message.offset, id)
      },
    })
    break
  }
  case 'exactly-once-pg': {
    pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 4 })
    const table = options.table!
    Object.assign(run, {
      offsetStore: new PostgresOffsetStore({ pool, table: `${table}_offsets` }),
      eachMessage: async (payload: EachMessagePayload) => {
        const id = idOf(payload)
        const client = payload.transaction as pg.PoolClient
        await client.query(`INSERT INTO ${table} (output) VALUES ($1)`, [`${id}#a`])
        await work()
        ledger.processed(payload.message.partition, payload.message.offset, id)
      },
    })
    break
  }
}

const handle = await consumer.run(run)
process.stdout.write('running\n')
try {
  await handle.done
  process.stdout.write('stopped\n')
} catch (error) {
  process.stdout.write(
    `failed ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
  )
  process.exitCode = 1
} finally {
  await consumer.close().catch(() => {})
  await producer?.close().catch(() => {})
  await producerCluster?.close().catch(() => {})
  await pool?.end().catch(() => {})
  await proxy?.close()
  ledger.close()
  // A proxy's half-open sockets or a pool can hold the loop open; the ledger is closed, so leave now.
  process.exit()
}
