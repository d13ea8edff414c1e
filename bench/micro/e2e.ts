/**
 * samsa alone, end to end against a broker, for profiling (`node --cpu-prof bench/micro/e2e.ts ...`): the
 * same produce and consume calls as the bench adapter, with none of the harness around them, so a profile
 * shows only the client.
 *
 *   node bench/micro/e2e.ts produce [messages]          produce N × 100 B into a new 6-partition topic
 *   node bench/micro/e2e.ts consume <topic> [messages]  consume N records of an existing topic in a new group
 *   node bench/micro/e2e.ts both [messages]             produce, then consume what was produced
 *   node bench/micro/e2e.ts commit [messages]           produce, then consume twice: without commits, and
 *                                                      with a commit() after every poll (at-least-once)
 *
 * Reads the broker from KAFKA_BOOTSTRAP (default 127.0.0.1:9092). Prints records/s for each phase.
 */

import { Admin } from '../../src/admin/admin.ts'
import { Cluster } from '../../src/cluster/cluster.ts'
import { Consumer } from '../../src/consumer/consumer.ts'
import { Producer } from '../../src/producer/producer.ts'
import type { ProducerRecord } from '../../src/producer/types.ts'
import { kafkaBootstrap, uniqueName } from '../../src/testing/kafka-bootstrap.ts'

const RECORD_BYTES = 100
const PARTITIONS = 6
const CHUNK_RECORDS = 1000
const CHUNKS_IN_FLIGHT = 32

async function produce(bootstrap: string, topic: string, messages: number): Promise<number> {
  const cluster = Cluster.create({ bootstrap, clientId: 'micro-e2e' })
  const producer = new Producer(cluster, { acks: 'all', lingerMs: 10, batchBytes: 262_144 })
  const value = Buffer.alloc(RECORD_BYTES, 'x')
  const chunk: ProducerRecord[] = Array.from({ length: CHUNK_RECORDS }, () => ({ topic, value }))
  await cluster.refreshMetadata([topic])
  const start = performance.now()
  const inFlight = new Set<Promise<unknown>>()
  for (let sent = 0; sent < messages; sent += CHUNK_RECORDS) {
    const records = messages - sent >= CHUNK_RECORDS ? chunk : chunk.slice(0, messages - sent)
    const sending = producer.sendBatch(records)
    inFlight.add(sending)
    void sending.then(() => inFlight.delete(sending))
    if (inFlight.size >= CHUNKS_IN_FLIGHT) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  const elapsedMs = performance.now() - start
  await producer.close()
  await cluster.close()
  return elapsedMs
}

/** Time spent awaiting commit() in the last consume, and how many commits. */
const commitStats = { ms: 0, count: 0 }

async function consume(
  bootstrap: string,
  topic: string,
  messages: number,
  commitEachPoll = false,
): Promise<number> {
  const cluster = Cluster.create({ bootstrap, clientId: 'micro-e2e' })
  const consumer = new Consumer(cluster, {
    groupId: uniqueName('micro-e2e'),
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  })
  consumer.subscribe([topic])
  let received = 0
  let bytes = 0
  let first = 0
  while (received < messages) {
    const records = await consumer.poll({ timeoutMs: 1000 })
    if (records.length > 0 && received === 0) first = performance.now()
    for (const record of records) bytes += record.value?.length ?? 0
    received += records.length
    if (commitEachPoll && records.length > 0) {
      const started = performance.now()
      await consumer.commit()
      commitStats.ms += performance.now() - started
      commitStats.count++
    }
  }
  const elapsedMs = performance.now() - first
  if (bytes !== received * RECORD_BYTES) throw new Error(`consumed ${bytes} bytes for ${received} records`)
  await consumer.close()
  await cluster.close()
  return elapsedMs
}

let cpuMark = process.cpuUsage()

/**
 * Prints wall-clock rate and the process's CPU time per record since the last report. On a shared machine
 * the wall-clock rate follows the load; CPU time per record is the steadier measure of the client's cost.
 */
function report(phase: string, messages: number, elapsedMs: number): void {
  const rate = Math.round((messages / elapsedMs) * 1000)
  const cpu = process.cpuUsage(cpuMark)
  cpuMark = process.cpuUsage()
  const cpuNsPerRecord = ((cpu.user + cpu.system) * 1000) / messages
  process.stdout.write(
    `${phase}: ${messages} records in ${elapsedMs.toFixed(0)} ms = ${rate} records/s, ` +
      `${cpuNsPerRecord.toFixed(0)} ns CPU per record\n`,
  )
}

async function main(): Promise<void> {
  const [mode = 'both', ...rest] = process.argv.slice(2)
  const bootstrap = kafkaBootstrap()
  if (mode === 'consume') {
    const [topic, count = '1000000'] = rest
    if (topic === undefined) throw new Error('usage: e2e.ts consume <topic> [messages]')
    report('consume', Number(count), await consume(bootstrap, topic, Number(count)))
    return
  }
  const messages = Number(rest[0] ?? '1000000')
  const cluster = Cluster.create({ bootstrap, clientId: 'micro-e2e-admin' })
  const admin = new Admin(cluster)
  const topic = uniqueName('micro-e2e')
  await admin.createTopics([{ topic, partitions: PARTITIONS }])
  try {
    process.stdout.write(`topic ${topic}\n`)
    cpuMark = process.cpuUsage()
    report('produce', messages, await produce(bootstrap, topic, messages))
    if (mode === 'both' || mode === 'commit') {
      report('consume', messages, await consume(bootstrap, topic, messages))
    }
    if (mode === 'commit') {
      report('consume, commit per poll', messages, await consume(bootstrap, topic, messages, true))
      const { ms, count } = commitStats
      process.stdout.write(
        `${count} commits, ${(ms / count).toFixed(2)} ms each, ${ms.toFixed(0)} ms in all\n`,
      )
    }
  } finally {
    if (mode !== 'produce') await admin.deleteTopics([topic]).catch(() => {})
    await cluster.close()
  }
}

await main()
