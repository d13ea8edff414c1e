/**
 * A work queue on a share group (KIP-932): more workers than partitions, each job done once.
 *
 * With a consumer group, a partition belongs to one member, so a topic with 2 partitions keeps at most 2
 * workers busy. In a share group every member may read every partition and the broker hands out records,
 * not partitions: each job is locked to one worker while it runs and accepted when its handler returns.
 * Here 5 workers share 2 partitions.
 *
 * Run against a broker: `node examples/share-work-queue.ts` (KAFKA_BOOTSTRAP, default 127.0.0.1:9092).
 */

import { Kafka } from '../src/index.ts'
import { bootstrapAddress, uniqueName } from './example-support.ts'

export interface WorkQueueConfig {
  bootstrap: string
  jobs?: number
  workers?: number
}

export interface WorkQueueReport {
  /** Jobs each worker did, by worker index. */
  done: string[][]
  partitions: number
}

export async function main(config: WorkQueueConfig): Promise<WorkQueueReport> {
  const kafka = new Kafka({ bootstrap: config.bootstrap, clientId: 'share-work-queue' })
  const topic = uniqueName('jobs')
  const groupId = uniqueName('workers')
  const jobs = config.jobs ?? 100
  const partitions = 2
  const admin = kafka.admin()
  try {
    await admin.createTopics([{ topic, partitions }])
    // A new share group starts at the log end (share.auto.offset.reset=latest); this queue wants every job.
    await admin.alterGroupConfigs(groupId, { set: { 'share.auto.offset.reset': 'earliest' } })
  } finally {
    await admin.close()
  }

  const workers = Array.from({ length: config.workers ?? 5 }, () =>
    kafka.shareConsumer({ groupId, maxPollRecords: 5 }),
  )
  const done = workers.map(() => [] as string[])
  const runs = await Promise.all(
    workers.map((worker, i) => {
      worker.subscribe([topic])
      return worker.run({
        eachMessage: async ({ message }) => {
          await new Promise((resolve) => setTimeout(resolve, 10)) // the job's work
          done[i]!.push(String(message.value))
        },
      })
    }),
  )

  const producer = kafka.producer()
  try {
    for (let i = 0; i < jobs; i++) await producer.send({ topic, key: `job-${i}`, value: `job-${i}` })
  } finally {
    await producer.close()
  }
  const deadline = Date.now() + 60_000
  while (done.flat().length < jobs && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await Promise.all(runs.map((run) => run.stop()))
  return { done, partitions }
}

if (import.meta.main) {
  const report = await main({ bootstrap: bootstrapAddress() })
  for (const [i, jobs] of report.done.entries()) console.log(`worker ${i}: ${jobs.length} jobs`)
}
