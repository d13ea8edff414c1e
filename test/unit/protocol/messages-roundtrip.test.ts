import { describe, expect, it } from 'vitest'
import type { ApiDefinition } from '../../../src/protocol/api.ts'
import { apiByKey } from '../../../src/protocol/messages/index.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'
import type { MessageSpec } from '../../../tools/codegen/schema.ts'
import { type LoadedApi, loadGeneratedApis, sampleStruct, type Variant } from './messages-samples.ts'

const apis = await loadGeneratedApis()

function roundTrip(
  loaded: LoadedApi,
  message: MessageSpec,
  version: number,
  variant: Variant,
  encode: ApiDefinition<unknown, unknown>['encodeRequest'],
  decode: ApiDefinition<unknown, unknown>['decodeRequest'],
): void {
  const flexible = version >= loaded.definition.firstFlexibleVersion
  const value = sampleStruct(loaded.module, message.root, version, flexible, variant)
  const writer = new Writer(16)
  encode(writer, version, value)
  const reader = new Reader(writer.toBuffer())
  const decoded = decode(reader, version)
  expect(decoded).toStrictEqual(value)
  expect(reader.remaining).toBe(0)
}

describe('generated codecs round-trip every field of every version', () => {
  it('covers every client-facing API, indexed by key', () => {
    expect(apis.length).toBeGreaterThanOrEqual(70)
    for (const { definition, spec } of apis) {
      expect(apiByKey.get(spec.apiKey)).toBe(definition)
      expect(definition.name).toBe(spec.name)
    }
  })

  for (const loaded of apis) {
    const { definition, spec } = loaded
    describe(spec.name, () => {
      for (let version = definition.minVersion; version <= definition.maxVersion; version++) {
        it(`v${version}`, () => {
          for (const variant of ['values', 'nulls'] as const) {
            roundTrip(
              loaded,
              spec.request,
              version,
              variant,
              definition.encodeRequest,
              definition.decodeRequest,
            )
            roundTrip(
              loaded,
              spec.response,
              version,
              variant,
              definition.encodeResponse,
              definition.decodeResponse,
            )
          }
        })
      }
    })
  }
})
