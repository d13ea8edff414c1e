/**
 * A security-mode rig of its own for these tests (the shared broker has only a PLAINTEXT listener). It
 * runs on `SAMSA_SECURE_RIG_PORT` (default 39092..39095) and is stopped when the tests are done.
 */

import { readFileSync } from 'node:fs'
import { type RigSecurity, startBroker, stopBroker } from '../../../src/cli/broker/index.ts'

export const SECURE_RIG_PORT = Number(process.env.SAMSA_SECURE_RIG_PORT ?? 39092)

export interface SecureRig extends RigSecurity {
  /** The PLAINTEXT listener of the same broker, for setup that needs no credentials. */
  plaintextBootstrap: string
  ca: Buffer
}

export async function startSecureRig(): Promise<SecureRig> {
  const running = await startBroker({
    port: SECURE_RIG_PORT,
    security: true,
    heapMb: 384,
    progress: () => {},
  })
  const security = running.security!
  return { ...security, plaintextBootstrap: running.bootstrap, ca: readFileSync(security.caFile) }
}

export async function stopSecureRig(): Promise<void> {
  await stopBroker({ port: SECURE_RIG_PORT })
}

/** An unsigned JWT, which the rig's OAUTHBEARER validator accepts: it checks only the claims. */
export function unsecuredJwt(subject: string, lifetimeSeconds: number): string {
  const now = Math.floor(Date.now() / 1000)
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'none' })}.${encode({ sub: subject, iat: now, exp: now + lifetimeSeconds })}.`
}
