import { describe, expect, it } from 'vitest'
import { planNodes, renderServerProperties } from '../../../src/rig/server-properties.ts'

function parse(properties: string): Map<string, string> {
  const entries = properties
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string])
  return new Map(entries)
}

describe('rig node plan', () => {
  it('gives node i the client port P+2i and the controller port P+2i+1', () => {
    expect(planNodes(3, 19_100, '/state')).toEqual([
      { nodeId: 1, brokerPort: 19_100, controllerPort: 19_101, dir: '/state/node-1' },
      { nodeId: 2, brokerPort: 19_102, controllerPort: 19_103, dir: '/state/node-2' },
      { nodeId: 3, brokerPort: 19_104, controllerPort: 19_105, dir: '/state/node-3' },
    ])
  })
})

describe('rig server.properties', () => {
  it('makes a single combined node whose internal topics fit one replica', () => {
    const [node] = planNodes(1, 9092, '/state')
    const config = parse(renderServerProperties(node!, [node!]))
    expect(config.get('process.roles')).toBe('broker,controller')
    expect(config.get('controller.quorum.voters')).toBe('1@127.0.0.1:9093')
    expect(config.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093')
    expect(config.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9092')
    expect(config.get('log.dirs')).toBe('/state/node-1/data')
    expect(config.get('offsets.topic.replication.factor')).toBe('1')
    expect(config.get('transaction.state.log.min.isr')).toBe('1')
    expect(config.get('auto.create.topics.enable')).toBe('false')
    expect(config.get('group.initial.rebalance.delay.ms')).toBe('0')
  })

  it('lists every node as a voter and replicates internal topics three ways on three nodes', () => {
    const nodes = planNodes(3, 19_100, '/state')
    const config = parse(renderServerProperties(nodes[1]!, nodes))
    expect(config.get('node.id')).toBe('2')
    expect(config.get('controller.quorum.voters')).toBe(
      '1@127.0.0.1:19101,2@127.0.0.1:19103,3@127.0.0.1:19105',
    )
    expect(config.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19102')
    expect(config.get('offsets.topic.replication.factor')).toBe('3')
    expect(config.get('share.coordinator.state.topic.replication.factor')).toBe('3')
    expect(config.get('transaction.state.log.min.isr')).toBe('2')
  })

  it('lets extra config override the rig defaults', () => {
    const [node] = planNodes(1, 9092, '/state')
    const config = parse(
      renderServerProperties(node!, [node!], { 'num.partitions': 4, 'log.retention.ms': 1000 }),
    )
    expect(config.get('num.partitions')).toBe('4')
    expect(config.get('log.retention.ms')).toBe('1000')
  })
})
