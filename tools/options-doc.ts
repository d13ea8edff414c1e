/**
 * `npm run docs:options`: writes docs/options.md, the reference of every option, from the option tables
 * (src/common/option-table.ts). Type, default and allowed values come from each option's spec; the
 * description is the doc comment written on the table entry, read from the source file, so it is the same
 * text editors show on hover.
 *
 * `npm run docs:options -- --check` exits non-zero when docs/options.md is not what the tables give (`npm test`
 * runs it), and either mode fails when a table entry has no doc comment.
 */

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  createTopicsOptionTable,
  deleteTopicsOptionTable,
  listTopicsOptionTable,
  timeoutOptionTable,
} from '../src/admin/call-options.ts'
import { clientOptionTable } from '../src/cluster/client-options.ts'
import type { OptionTable } from '../src/common/option-table.ts'
import { consumerOptionTable } from '../src/consumer/consumer-options.ts'
import { groupOptionTable } from '../src/consumer/group/group-options.ts'
import { commitOptionTable } from '../src/consumer/offsets/commit-options.ts'
import { shareConsumerOptionTable } from '../src/consumer/share/share-options.ts'
import {
  runCommitOptionTable,
  runDeadLetterOptionTable,
  runOptionTable,
  runRetryOptionTable,
} from '../src/processing/run-options.ts'
import { shareRunOptionTable } from '../src/processing/share-run-options.ts'
import { producerOptionTable } from '../src/producer/producer-options.ts'

const root = join(import.meta.dirname, '..')
const outputPath = join(root, 'docs', 'options.md')

/** One table as documented: where it is declared, under which exported name, and how its names are shown. */
interface DocumentedTable {
  table: OptionTable
  file: string
  exportName: string
  /** Prefix of the option names in the document (`run.retry.`), empty for top-level options. */
  prefix: string
}

interface Section {
  title: string
  intro: string
  tables: DocumentedTable[]
}

const sections: Section[] = [
  {
    title: 'Client-wide: `new Kafka(options)`',
    intro: 'Shared by every producer, consumer and admin client the `Kafka` object creates.',
    tables: [
      {
        table: clientOptionTable,
        file: 'src/cluster/client-options.ts',
        exportName: 'clientOptionTable',
        prefix: '',
      },
    ],
  },
  {
    title: 'Producer: `kafka.producer(options)`',
    intro: 'Defaults follow the Java client (4.x).',
    tables: [
      {
        table: producerOptionTable,
        file: 'src/producer/producer-options.ts',
        exportName: 'producerOptionTable',
        prefix: '',
      },
    ],
  },
  {
    title: 'Consumer: `kafka.consumer(options)`',
    intro: "Fetching, group membership and commits, in one options object. Defaults are the Java client's.",
    tables: [
      {
        table: consumerOptionTable,
        file: 'src/consumer/consumer-options.ts',
        exportName: 'consumerOptionTable',
        prefix: '',
      },
      {
        table: groupOptionTable,
        file: 'src/consumer/group/group-options.ts',
        exportName: 'groupOptionTable',
        prefix: '',
      },
      {
        table: commitOptionTable,
        file: 'src/consumer/offsets/commit-options.ts',
        exportName: 'commitOptionTable',
        prefix: '',
      },
    ],
  },
  {
    title: 'Processing: `consumer.run(options)`',
    intro: '`commit`, `retry` and `deadLetter` are objects of their own, listed with their full names.',
    tables: [
      {
        table: runOptionTable,
        file: 'src/processing/run-options.ts',
        exportName: 'runOptionTable',
        prefix: '',
      },
      {
        table: runCommitOptionTable,
        file: 'src/processing/run-options.ts',
        exportName: 'runCommitOptionTable',
        prefix: 'commit.',
      },
      {
        table: runRetryOptionTable,
        file: 'src/processing/run-options.ts',
        exportName: 'runRetryOptionTable',
        prefix: 'retry.',
      },
      {
        table: runDeadLetterOptionTable,
        file: 'src/processing/run-options.ts',
        exportName: 'runDeadLetterOptionTable',
        prefix: 'deadLetter.',
      },
    ],
  },
  {
    title: 'Share consumer: `kafka.shareConsumer(options)`',
    intro:
      "Share groups (KIP-932). The session timeout, heartbeat interval, acquisition lock duration, delivery-count limit and `share.auto.offset.reset` are the group's broker-side configs (`share.*`), not options.",
    tables: [
      {
        table: shareConsumerOptionTable,
        file: 'src/consumer/share/share-options.ts',
        exportName: 'shareConsumerOptionTable',
        prefix: '',
      },
    ],
  },
  {
    title: 'Share processing: `shareConsumer.run(options)`',
    intro: "Each record is acknowledged by its handler's outcome; see the README section on share groups.",
    tables: [
      {
        table: shareRunOptionTable,
        file: 'src/processing/share-run-options.ts',
        exportName: 'shareRunOptionTable',
        prefix: '',
      },
    ],
  },
  {
    title: 'Admin calls',
    intro: 'The last argument of the admin calls.',
    tables: [
      {
        table: createTopicsOptionTable,
        file: 'src/admin/call-options.ts',
        exportName: 'createTopicsOptionTable',
        prefix: 'createTopics: ',
      },
      {
        table: deleteTopicsOptionTable,
        file: 'src/admin/call-options.ts',
        exportName: 'deleteTopicsOptionTable',
        prefix: 'deleteTopics: ',
      },
      {
        table: listTopicsOptionTable,
        file: 'src/admin/call-options.ts',
        exportName: 'listTopicsOptionTable',
        prefix: 'listTopics: ',
      },
      {
        table: timeoutOptionTable,
        file: 'src/admin/call-options.ts',
        exportName: 'timeoutOptionTable',
        prefix: 'other calls: ',
      },
    ],
  },
]

/** The doc comment of each entry of the table exported as `exportName` in `source`, by option name. */
export function entryDocs(source: string, exportName: string): Map<string, string> {
  const start = source.indexOf(`export const ${exportName} = defineOptions({`)
  if (start < 0) throw new Error(`${exportName}: declaration not found`)
  const end = source.indexOf('\n})', start)
  const body = source.slice(start, end)
  const docs = new Map<string, string>()
  for (const match of body.matchAll(/^ {2}\/\*\*([\s\S]*?)\*\/\n {2}(\w+)[:,]/gm)) {
    const text = match[1]!
      .split('\n')
      .map((line) => line.replace(/^\s*\*\s?/, '').trim())
      .filter((line) => line !== '')
      .join(' ')
      .replace(/\{@link ([^}]+)\}/g, '`$1`')
    docs.set(match[2]!, text)
  }
  return docs
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|')
}

export function renderOptionsDoc(): string {
  const lines = [
    '# Options',
    '',
    '<!-- Generated by `npm run docs:options` from the option tables; do not edit. `npm test` checks it is current. -->',
    '',
    'Every option samsa takes, with its type, default, what is allowed and what it does. Each one is declared',
    "once, in its client's option table (see `src/common/option-table.ts`); the TypeScript types, the defaults,",
    'the validation (a `ConfigError` naming the option, the value and what is allowed) and this page all come',
    'from that declaration.',
    '',
  ]
  const missing: string[] = []
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', section.intro, '')
    lines.push('| Option | Type | Default | Allowed | Description |', '|---|---|---|---|---|')
    for (const { table, file, exportName, prefix } of section.tables) {
      const docs = entryDocs(readFileSync(join(root, file), 'utf8'), exportName)
      for (const [name, spec] of Object.entries(table)) {
        const doc = docs.get(name)
        if (doc === undefined) missing.push(`${file}: ${exportName}.${name}`)
        lines.push(
          `| \`${prefix}${name}\` | ${cell(spec.type)} | ${cell(spec.defaultText)} | ${cell(spec.allowed)} | ${cell(doc ?? '')} |`,
        )
      }
    }
    lines.push('')
  }
  if (missing.length > 0) throw new Error(`options without a doc comment:\n  ${missing.join('\n  ')}`)
  return lines.join('\n')
}

function main(): void {
  const rendered = renderOptionsDoc()
  if (process.argv.includes('--check')) {
    let current = ''
    try {
      current = readFileSync(outputPath, 'utf8')
    } catch {}
    if (current !== rendered) {
      console.error('docs/options.md is out of date. Run `npm run docs:options` and commit the result.')
      process.exitCode = 1
    } else {
      console.log('docs/options.md is up to date.')
    }
    return
  }
  writeFileSync(outputPath, rendered)
  console.log(`wrote ${outputPath}`)
}

if (import.meta.main) main()
