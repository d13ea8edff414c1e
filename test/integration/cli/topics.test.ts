import { describe, expect, it } from 'vitest'
import { uniqueName } from '../../../src/testing/kafka-bootstrap.ts'
import { outputLines, runSamsa } from './run-samsa.ts'

describe('samsa topics', () => {
  it('creates, lists, describes and deletes a topic', async () => {
    const topic = uniqueName('cli-topics')
    const created = await runSamsa([
      'topics',
      'create',
      topic,
      '--partitions',
      '3',
      '--config',
      'retention.ms=600000',
    ])
    expect(created.stderr).toContain(topic)
    expect(created.code).toBe(0)

    const listed = await runSamsa(['topics', 'list'])
    expect(listed.code).toBe(0)
    expect(outputLines(listed)).toContain(topic)
    const listedJson = await runSamsa(['topics', 'list', '--format', 'json'])
    expect(JSON.parse(listedJson.stdout.toString())).toContain(topic)

    const described = await runSamsa(['topics', 'describe', topic, '--format', 'json'])
    expect(described.code).toBe(0)
    const [description] = JSON.parse(described.stdout.toString()) as Array<{
      name: string
      partitions: Array<{ partition: number; leader: number; replicas: number[] }>
    }>
    expect(description?.name).toBe(topic)
    expect(description?.partitions.map((partition) => partition.partition)).toEqual([0, 1, 2])
    for (const partition of description?.partitions ?? []) expect(partition.leader).toBeGreaterThanOrEqual(0)

    const table = await runSamsa(['topics', 'describe', topic])
    expect(outputLines(table)).toHaveLength(4)
    expect(outputLines(table)[0]).toMatch(/^TOPIC\s+PARTITION\s+LEADER/)

    const deleted = await runSamsa(['topics', 'delete', topic])
    expect(deleted.code).toBe(0)
    expect(outputLines(await runSamsa(['topics', 'list']))).not.toContain(topic)
  })

  it('fails, naming the topic, when the topic already exists, unless --if-not-exists', async () => {
    const topic = uniqueName('cli-exists')
    expect((await runSamsa(['topics', 'create', topic])).code).toBe(0)
    const again = await runSamsa(['topics', 'create', topic])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(new RegExp(`^samsa: .*TOPIC_ALREADY_EXISTS.*${topic}`))
    expect(again.stderr).not.toMatch(/\n\s+at /)
    const idempotent = await runSamsa(['topics', 'create', topic, '--if-not-exists', '--format', 'json'])
    expect(idempotent.code).toBe(0)
    expect(JSON.parse(idempotent.stdout.toString())).toMatchObject({ topic, created: false })
    await runSamsa(['topics', 'delete', topic])
  })

  it('rejects bad names, impossible replication factors and unknown topics with exit code 1', async () => {
    const badName = await runSamsa(['topics', 'create', 'no spaces allowed'])
    expect(badName.code).toBe(1)
    expect(badName.stderr).toMatch(/^samsa: .*"no spaces allowed" is not a legal topic name/)

    const topic = uniqueName('cli-rf')
    const tooManyReplicas = await runSamsa(['topics', 'create', topic, '--replication-factor', '3'])
    expect(tooManyReplicas.code).toBe(1)
    expect(tooManyReplicas.stderr).toMatch(/INVALID_REPLICATION_FACTOR/)
    expect(tooManyReplicas.stderr).toContain(topic)

    const unknown = uniqueName('cli-missing')
    for (const args of [
      ['describe', unknown],
      ['delete', unknown],
    ]) {
      const result = await runSamsa(['topics', ...args])
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr).toMatch(new RegExp(`UNKNOWN_TOPIC_OR_PARTITION.*${unknown}`))
    }
    expect((await runSamsa(['topics', 'delete', unknown, '--if-exists'])).code).toBe(0)
  })

  it('rejects unknown flags and bad values, naming them', async () => {
    const unknownFlag = await runSamsa(['topics', 'create', 'x', '--partitionz', '3'])
    expect(unknownFlag.code).toBe(1)
    expect(unknownFlag.stderr).toMatch(/^samsa: unknown option '--partitionz'/)

    const badCount = await runSamsa(['topics', 'create', 'x', '--partitions', 'many'])
    expect(badCount.code).toBe(1)
    expect(badCount.stderr).toMatch(/--partitions.*many/)

    const badBootstrap = await runSamsa(['topics', 'list', '--bootstrap', 'nowhere'])
    expect(badBootstrap.code).toBe(1)
    expect(badBootstrap.stderr).toMatch(/^samsa: .*--bootstrap.*nowhere/)

    // Nothing listens on port 1: the error names the address, and comes after the cluster's own retries only.
    const started = Date.now()
    const unreachable = await runSamsa(['topics', 'list', '--bootstrap', '127.0.0.1:1'])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/^samsa: .*127\.0\.0\.1:1/)
    expect(Date.now() - started).toBeLessThan(20_000)
  })
})
