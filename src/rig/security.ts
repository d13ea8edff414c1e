/**
 * The rig's security mode: a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER) and
 * an SSL listener that requires client certificates, next to the usual PLAINTEXT one (kept for
 * inter-broker traffic and for tools that need no credentials). Certificates come from a throwaway CA made
 * with Debian's openssl; SCRAM users are written into the metadata log when the storage is formatted.
 *
 * Everything here is for local testing: fixed, published passwords and an OAUTHBEARER validator that
 * accepts unsigned tokens (Kafka's unsecured JWS handler). Never point it at real data.
 */

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { RigError } from './rig-error.ts'
import type { ExtraConfig, RigNode } from './server-properties.ts'

/** The SASL user the rig creates for every mechanism, and its password. */
export const RIG_SASL_USER = 'samsa'
export const RIG_SASL_PASSWORD = 'samsa-secret'

const KEYSTORE_PASSWORD = 'samsa-rig'

/** Where a security-mode rig listens and the files a client needs to trust it. */
export interface RigSecurity {
  /** `host:port` list of the SASL_SSL listeners. */
  saslSslBootstrap: string
  /** `host:port` list of the SSL listeners, which require a client certificate. */
  sslBootstrap: string
  /** PEM of the CA that signed the brokers' certificates (valid for 127.0.0.1 and localhost). */
  caFile: string
  /** PEM client certificate and key signed by the same CA, for the SSL listener. */
  clientCertFile: string
  clientKeyFile: string
  username: string
  password: string
}

/** The secure ports of node i of an n-node rig on `port`: after all the plain ones, two per node. */
export function securePorts(
  node: RigNode,
  nodeCount: number,
  port: number,
): { saslSsl: number; ssl: number } {
  const base = port + 2 * nodeCount + 2 * (node.nodeId - 1)
  return { saslSsl: base, ssl: base + 1 }
}

/** Makes the CA, broker and client certificates in `<stateDir>/security` (once; they are reused). */
export function prepareCertificates(stateDir: string): RigSecurity['caFile'] {
  const dir = join(stateDir, 'security')
  mkdirSync(dir, { recursive: true })
  if (existsSync(join(dir, 'broker.p12'))) return join(dir, 'ca.pem')
  const run = (...args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (result.error !== undefined || result.status !== 0) {
      throw new RigError(
        'startup-failed',
        `openssl ${args[0]} failed while making the rig's certificates: ${result.error?.message ?? result.stderr}` +
          ' (security mode needs the openssl command)',
      )
    }
  }
  const days = '3650'
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    days,
    '-subj',
    '/CN=samsa rig CA',
  )
  for (const name of ['broker', 'client']) {
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=samsa rig ${name}`,
    )
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      days,
      '-extfile',
      extensionFile(dir, name),
    )
  }
  run(
    'pkcs12',
    '-export',
    '-in',
    'broker.pem',
    '-inkey',
    'broker.key',
    '-out',
    'broker.p12',
    '-passout',
    `pass:${KEYSTORE_PASSWORD}`,
    '-name',
    'broker',
  )
  return join(dir, 'ca.pem')
}

function extensionFile(dir: string, name: string): string {
  const path = join(dir, `${name}.ext`)
  const san = name === 'broker' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' : ''
  const usage = name === 'broker' ? 'serverAuth' : 'clientAuth'
  spawnSync('sh', ['-c', `printf '%s' "$0" > "$1"`, `${san}extendedKeyUsage=${usage}\n`, path])
  return path
}

/** The server.properties entries that add the secure listeners to `node`. */
export function securityConfig(
  node: RigNode,
  nodeCount: number,
  port: number,
  stateDir: string,
): ExtraConfig {
  const dir = join(stateDir, 'security')
  const { saslSsl, ssl } = securePorts(node, nodeCount, port)
  const plain = `PLAINTEXT://127.0.0.1:${node.brokerPort}`
  const jaas = (module: string, options = '') => `${module} required${options};`
  return {
    listeners: `${plain},SASL_SSL://127.0.0.1:${saslSsl},SSL://127.0.0.1:${ssl},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `${plain},SASL_SSL://127.0.0.1:${saslSsl},SSL://127.0.0.1:${ssl}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': join(dir, 'broker.p12'),
    'ssl.keystore.password': KEYSTORE_PASSWORD,
    'ssl.key.password': KEYSTORE_PASSWORD,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': join(dir, 'ca.pem'),
    'listener.name.ssl.ssl.client.auth': 'required',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': jaas(
      'org.apache.kafka.common.security.plain.PlainLoginModule',
      ` user_${RIG_SASL_USER}="${RIG_SASL_PASSWORD}"`,
    ),
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': jaas(
      'org.apache.kafka.common.security.scram.ScramLoginModule',
    ),
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': jaas(
      'org.apache.kafka.common.security.scram.ScramLoginModule',
    ),
    // Without a server callback handler, Kafka validates unsigned ("alg":"none") tokens: enough to test
    // the client's side of OAUTHBEARER without an identity provider.
    'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config': jaas(
      'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule',
      ` unsecuredLoginStringClaim_sub="${RIG_SASL_USER}"`,
    ),
    // KIP-368: sessions expire, so clients must re-authenticate; OAUTHBEARER sessions end with the token.
    'connections.max.reauth.ms': 3_600_000,
  }
}

/** StorageTool arguments that create the SCRAM users in the new cluster's metadata. */
export function scramFormatArguments(): string[] {
  return ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
    '--add-scram',
    `${mechanism}=[name=${RIG_SASL_USER},password=${RIG_SASL_PASSWORD}]`,
  ])
}

/** What a client needs to use the secure listeners of a rig. */
export function describeSecurity(nodes: readonly RigNode[], port: number, stateDir: string): RigSecurity {
  const dir = join(stateDir, 'security')
  const ports = nodes.map((node) => securePorts(node, nodes.length, port))
  return {
    saslSslBootstrap: ports.map((p) => `127.0.0.1:${p.saslSsl}`).join(','),
    sslBootstrap: ports.map((p) => `127.0.0.1:${p.ssl}`).join(','),
    caFile: join(dir, 'ca.pem'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    username: RIG_SASL_USER,
    password: RIG_SASL_PASSWORD,
  }
}
