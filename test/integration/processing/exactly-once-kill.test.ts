import { expect, it } from 'vitest'
import { kafkaBootstrap } from '../../../src/testing/kafka-bootstrap.ts'
import { transformKillScenario } from './exactly-once-scenarios.ts'

// About 30 s on an idle 2-core machine (a round is mostly the member process starting); the timeout leaves
// room for a loaded one. SAMSA_EOS_KILLS changes the number of kills.
const KILLS = Number(process.env.SAMSA_EOS_KILLS ?? 20)

it(`run({ transactional }) in a child process SIGKILLed ${KILLS} times at random points: a read_committed reader sees every input's result exactly once`, async () => {
  const report = await transformKillScenario({ bootstrap: kafkaBootstrap(), kills: KILLS })
  expect(report.killPoints).toHaveLength(KILLS)
  expect(report.committed).toEqual([...report.inputs].sort())
  expect(report.finalExitCode).toBe(0)
  process.stderr.write(
    `[eos-kill] ${KILLS} kills (${report.killPoints.filter((p) => p === 'while-handling').length} while handling), ` +
      `${report.inputs.length} inputs, ${report.uncommittedCount - report.inputs.length} aborted outputs in the log\n`,
  )
}, 300_000)
