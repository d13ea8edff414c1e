/**
 * A security-mode rig of its own for each test file (the shared broker has only a PLAINTEXT listener).
 * Test files run in parallel, so each passes its own offset from `SAMSA_SECURE_RIG_PORT` (default 39092;
 * a rig takes four ports). The rig is stopped when the file's tests are done.
 */

import { readFileSync } from 'node:fs'
import { type RigSecurity, startBroker, stopBroker } from '../../../src/rig/index.ts'

const BASE_PORT = Number(process.env.SAMSA_SECURE_RIG_PORT ?? 39092)

export interface SecureRig extends RigSecurity {
  /** The rig's first port. */
  port: number
  /** The PLAINTEXT listener of the same broker, for setup that needs no credentials. */
  plaintextBootstrap: string
  ca: Buffer
}

export async function startSecureRig(offset: number): Promise<SecureRig> {
  const port = BASE_PORT + 10 * offset
  const running = await startBroker({ port, security: true, heapMb: 384, progress: () => {} })
  const security = running.security!
  return { ...security, port, plaintextBootstrap: running.bootstrap, ca: readFileSync(security.caFile) }
}

export async function stopSecureRig(rig: SecureRig | undefined): Promise<void> {
  if (rig !== undefined) await stopBroker({ port: rig.port })
}

/** An unsigned JWT, which the rig's OAUTHBEARER validator accepts: it checks only the claims. */
export function unsecuredJwt(subject: string, lifetimeSeconds: number): string {
  const now = Math.floor(Date.now() / 1000)
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'none' })}.${encode({ sub: subject, iat: now, exp: now + lifetimeSeconds })}.`
}
