/** A cluster connection and admin client for one test file, which deletes the topics it created when closed. */

import { Admin } from '../admin/admin.ts'
import { Cluster } from '../cluster/cluster.ts'
import { kafkaBootstrap, uniqueName } from './kafka-bootstrap.ts'

export class TestTopics {
  readonly cluster: Cluster
  readonly admin: Admin
  readonly #created: string[] = []

  /** Connects lazily: nothing goes over the wire until the first request. */
  constructor(clientId: string) {
    this.cluster = Cluster.create({ bootstrap: kafkaBootstrap(), clientId })
    this.admin = new Admin(this.cluster)
  }

  /** Creates a topic named `<prefix>-<unique suffix>`, ready to produce to when this resolves. */
  async create(prefix: string, partitions = 1, configs?: Record<string, string>): Promise<string> {
    const topic = uniqueName(prefix)
    await this.admin.createTopics([{ topic, partitions, ...(configs === undefined ? {} : { configs }) }])
    this.#created.push(topic)
    return topic
  }

  /** Deletes the topics {@link create} made (best effort: a failed delete must not fail the run) and disconnects. */
  async close(): Promise<void> {
    if (this.#created.length > 0) await this.admin.deleteTopics(this.#created).catch(() => undefined)
    await this.cluster.close()
  }
}
