/** Where bench/setup.sh puts the optional peers, and whether they are usable. */

import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** bench/.peers: a private npm prefix for peers too heavy to be devDependencies. */
export const peersDir = fileURLToPath(new URL('../.peers/', import.meta.url))

/** Why @confluentinc/kafka-javascript cannot run here, or null when it can. */
export async function confluentUnavailable(): Promise<string | null> {
  const note = `${peersDir}confluent.unavailable`
  if (existsSync(note)) return readFileSync(note, 'utf8').trim().split('\n').join(' ')
  if (!existsSync(`${peersDir}node_modules/@confluentinc/kafka-javascript/package.json`)) {
    return '@confluentinc/kafka-javascript is not built (run bench/setup.sh, or npm run bench without --no-setup)'
  }
  return null
}

/**
 * Why a pure-JavaScript peer that bench/setup.sh installs into bench/.peers (kafka-ts, @kafkats/client)
 * cannot run here, or null when it can.
 */
export async function npmPeerUnavailable(name: string): Promise<string | null> {
  if (existsSync(`${peersDir}node_modules/${name}/package.json`)) return null
  const note = `${peersDir}${name.replace(/[@/]/g, '_')}.unavailable`
  if (existsSync(note)) return readFileSync(note, 'utf8').trim().split('\n').join(' ')
  return `${name} is not installed (run bench/setup.sh, or npm run bench without --no-setup)`
}
