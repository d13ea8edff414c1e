/**
 * The `server.properties` of each rig node. Every node is a combined broker + controller (KRaft), all nodes
 * are voters, and the settings favour a laptop or a 2-core CI runner over throughput: few threads, no
 * rebalance delay, and replication factors that fit the node count so internal topics can be created.
 */

import { join } from 'node:path'

/** One node of a rig cluster and the ports it owns. */
export interface RigNode {
  /** KRaft `node.id`, 1-based. */
  nodeId: number
  /** The PLAINTEXT listener clients use. */
  brokerPort: number
  /** The CONTROLLER listener, used only between nodes. */
  controllerPort: number
  /** `<stateDir>/node-<id>`: server.properties, data/ and broker.log. */
  dir: string
}

/** Config values the rig accepts from callers on top of its own. */
export type ExtraConfig = Record<string, string | number | boolean>

/**
 * The nodes of a rig whose first broker listens on `port`: node i (0-based) takes broker port `port + 2i`
 * and controller port `port + 2i + 1`, so a 1-node rig on 9092 uses 9092/9093 and a 3-node rig uses
 * 9092..9097.
 */
export function planNodes(nodeCount: number, port: number, stateDir: string): RigNode[] {
  return Array.from({ length: nodeCount }, (_, index) => ({
    nodeId: index + 1,
    brokerPort: port + 2 * index,
    controllerPort: port + 2 * index + 1,
    dir: join(stateDir, `node-${index + 1}`),
  }))
}

/** Renders one node's server.properties. `extraConfig` entries override the rig's own values. */
export function renderServerProperties(
  node: RigNode,
  cluster: readonly RigNode[],
  extra: ExtraConfig = {},
): string {
  const replication = cluster.length >= 3 ? 3 : 1
  const minIsr = cluster.length >= 3 ? 2 : 1
  const settings: ExtraConfig = {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    'controller.quorum.voters': cluster.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.brokerPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(node.dir, 'data'),
    'num.partitions': 1,
    'default.replication.factor': 1,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': minIsr,
    // Tests join groups constantly; the default 3 s delay before the first rebalance only slows them down.
    'group.initial.rebalance.delay.ms': 0,
    // KIP-848 session timeouts and heartbeat intervals are per-group configs bounded below by these floors
    // (45 s and 5 s by default); lower floors let a test give one group a 6 s session, as classic tests do.
    'group.consumer.min.session.timeout.ms': 6000,
    'group.consumer.min.heartbeat.interval.ms': 1000,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    ...extra,
  }
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${String(value)}`)
  return `# Written by the samsa broker rig; rewritten on every start.\n${lines.join('\n')}\n`
}
