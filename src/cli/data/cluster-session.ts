/** One cluster connection per command run: opened from `--bootstrap`, always closed, even on failure. */

import { parseBootstrap } from '../../cluster/client-options.ts'
import { Cluster } from '../../cluster/cluster.ts'
import { cliClientSecurity } from './security-options.ts'

/** Runs `use` with a cluster for `bootstrap` (a `host:port[,…]` list) and closes it afterwards. */
export async function withCluster<T>(bootstrap: string, use: (cluster: Cluster) => Promise<T>): Promise<T> {
  // Parsed here, not by commander, so the error names the flag the user typed.
  parseBootstrap(bootstrap, '--bootstrap')
  const cluster = Cluster.create({ bootstrap, clientId: 'samsa-cli', ...cliClientSecurity() })
  try {
    return await use(cluster)
  } finally {
    await cluster.close()
  }
}
