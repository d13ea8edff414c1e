/** CRC-32C throughput over a typical batch size and over small records: `node bench/micro/crc32c.ts`. */

import { crc32c } from '../../src/protocol/records/crc32c.ts'
import { measure } from './measure.ts'

const large = Buffer.alloc(262_144)
for (let i = 0; i < large.length; i++) large[i] = (i * 31 + 7) & 0xff
const small = large.subarray(0, 100)

let sink = 0
await measure('crc32c 256 KiB', () => (sink ^= crc32c(large)), { unitsPerCall: large.length, unit: 'B' })
await measure('crc32c 100 B', () => (sink ^= crc32c(small)), { unitsPerCall: small.length, unit: 'B' })
if (sink === 0.5) process.stdout.write('unreachable\n')
