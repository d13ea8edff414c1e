import { expect, it } from 'vitest'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { postgresKillScenario } from '../processing/exactly-once-scenarios.ts'

// About 30 s on an idle 2-core machine (a round is mostly the member process starting); the timeout leaves
// room for a loaded one. SAMSA_EOS_KILLS changes the number of kills.
const KILLS = Number(process.env.SAMSA_EOS_KILLS ?? 20)

it(`run({ offsetStore: PostgresOffsetStore }) in a child process SIGKILLed ${KILLS} times at random points: each result row exists exactly once and the stored offsets match the rows`, async () => {
  const report = await postgresKillScenario({ bootstrap: kafkaBootstrap(), kills: KILLS })
  expect(report.killPoints).toHaveLength(KILLS)
  // Checked after every kill and at the end: each partition's rows are offsets 0..next-1, each once.
  expect(report.mismatches).toEqual([])
  const perPartition = report.inputs.length / 2
  const expected = [0, 1].flatMap((p) => Array.from({ length: perPartition }, (_, o) => `${p}:${o}`))
  expect(report.rows).toEqual(expected)
  expect(report.stored).toEqual(
    new Map([
      [0, BigInt(perPartition)],
      [1, BigInt(perPartition)],
    ]),
  )
  expect(report.finalExitCode).toBe(0)
  process.stderr.write(
    `[eos-pg-kill] ${KILLS} kills (${report.killPoints.filter((p) => p === 'while-handling').length} while handling), ${report.inputs.length} rows\n`,
  )
}, 300_000)
