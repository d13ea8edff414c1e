/**
 * Every strict prefix of a valid encoding must fail with ProtocolDecodeError: never another exception (a
 * TypeError from reading past the end), never a bogus success, never a hang or a giant allocation.
 */

import { describe, expect, it } from 'vitest'
import { ProtocolDecodeError } from '../../../src/common/errors.ts'
import type { ApiDefinition } from '../../../src/protocol/api.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'
import type { MessageSpec } from '../../../tools/codegen/schema.ts'
import { type LoadedApi, loadGeneratedApis, sampleStruct } from './messages-samples.ts'

const apis = await loadGeneratedApis()

/** Returns a description of each prefix that did not fail as it must. */
function truncationFailures(
  loaded: LoadedApi,
  message: MessageSpec,
  version: number,
  encode: ApiDefinition<unknown, unknown>['encodeRequest'],
  decode: ApiDefinition<unknown, unknown>['decodeRequest'],
): string[] {
  const flexible = version >= loaded.definition.firstFlexibleVersion
  const writer = new Writer()
  encode(writer, version, sampleStruct(loaded.module, message.root, version, flexible, 'values'))
  const full = writer.toBuffer()
  const failures: string[] = []
  for (let length = 0; length < full.length; length++) {
    try {
      decode(new Reader(full.subarray(0, length)), version)
      failures.push(`${message.name} v${version}: ${length}/${full.length} bytes decoded without error`)
    } catch (error) {
      if (!(error instanceof ProtocolDecodeError)) {
        failures.push(`${message.name} v${version}: ${length}/${full.length} bytes threw ${String(error)}`)
      }
    }
  }
  return failures
}

describe('truncated input', () => {
  for (const loaded of apis) {
    const { definition, spec } = loaded
    // The lowest, first flexible and highest versions cover every encoding path while keeping the run short.
    const versions = new Set([definition.minVersion, definition.maxVersion])
    if (definition.firstFlexibleVersion <= definition.maxVersion) {
      versions.add(Math.max(definition.minVersion, definition.firstFlexibleVersion))
    }
    it(`${spec.name} v${[...versions].join(', v')}`, () => {
      const failures: string[] = []
      for (const version of versions) {
        failures.push(
          ...truncationFailures(
            loaded,
            spec.request,
            version,
            definition.encodeRequest,
            definition.decodeRequest,
          ),
        )
        failures.push(
          ...truncationFailures(
            loaded,
            spec.response,
            version,
            definition.encodeResponse,
            definition.decodeResponse,
          ),
        )
      }
      expect(failures).toEqual([])
    })
  }

  it('rejects an array count larger than the bytes that remain, before allocating', () => {
    // ApiVersions v0 response claiming 2^31-1 ApiVersion entries in a 10-byte frame.
    const apiVersions = apis.find((a) => a.spec.name === 'ApiVersions')!.definition
    const frame = Buffer.from('00007fffffff00000000', 'hex')
    expect(frame.length).toBe(10)
    expect(() => apiVersions.decodeResponse(new Reader(frame), 0)).toThrow(ProtocolDecodeError)
    expect(() => apiVersions.decodeResponse(new Reader(frame), 0)).toThrow(/cannot fit/)
  })
})
