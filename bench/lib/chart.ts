/**
 * An SVG chart of the results, written without dependencies: for each throughput case, one horizontal bar
 * per client (msg/s, median, with a whisker from min to max), then the latency case's p50 and p99 per client.
 */

import type { ResultRow } from './results.ts'

const palette = ['#2b6cb0', '#dd6b20', '#38a169', '#805ad5', '#d53f8c', '#718096', '#b7791f']

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const fmt = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 1 : 0 })

interface Panel {
  title: string
  unit: string
  bars: { label: string; value: number; min?: number; max?: number; color: string }[]
}

export function renderChart(rows: readonly ResultRow[], subtitle: string): string {
  const clients = [...new Set(rows.map((row) => row.client))]
  const colorOf = (client: string) => palette[clients.indexOf(client) % palette.length]!
  const panels: Panel[] = []
  const cases = [...new Set(rows.map((row) => row.case))]
  for (const name of cases) {
    const measured = rows.filter(
      (row) => row.case === name && (row.msgsPerSec !== null || row.pauseMs !== null),
    )
    if (measured.length === 0) continue
    if (measured.some((row) => row.pauseMs !== null)) {
      panels.push({
        title: `${name}: longest processing pause when a member joins (lower is better)`,
        unit: 'ms',
        bars: measured.map((row) => ({
          label: row.client,
          value: row.pauseMs ?? 0,
          color: colorOf(row.client),
        })),
      })
    } else if (measured.some((row) => row.p50Ms !== null)) {
      panels.push({
        title: `${name}: end-to-end latency (lower is better)`,
        unit: 'ms',
        bars: measured.flatMap((row) => [
          { label: `${row.client} p50`, value: row.p50Ms ?? 0, color: colorOf(row.client) },
          { label: `${row.client} p99`, value: row.p99Ms ?? 0, color: colorOf(row.client) },
        ]),
      })
    } else {
      panels.push({
        title: `${name}: throughput (higher is better)`,
        unit: 'msg/s',
        bars: measured.map((row) => ({
          label: row.client,
          value: row.msgsPerSec!,
          min: row.msgsPerSecMin ?? undefined,
          max: row.msgsPerSecMax ?? undefined,
          color: colorOf(row.client),
        })),
      })
    }
  }

  const width = 760
  const labelWidth = 130
  const barArea = width - labelWidth - 110
  const barHeight = 16
  const parts: string[] = []
  // The first panel title sits below the two header lines (title at y 22, machine line at y 38).
  let y = 64
  for (const panel of panels) {
    parts.push(`<text x="10" y="${y}" class="title">${escapeXml(panel.title)}</text>`)
    y += 10
    const scaleMax = Math.max(...panel.bars.map((bar) => bar.max ?? bar.value), 1e-9)
    for (const bar of panel.bars) {
      const length = (bar.value / scaleMax) * barArea
      parts.push(
        `<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${bar.color}"/>`,
      )
      if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
        const x1 = labelWidth + (bar.min / scaleMax) * barArea
        const x2 = labelWidth + (bar.max / scaleMax) * barArea
        const mid = y + barHeight / 2
        parts.push(
          `<path d="M${x1.toFixed(1)} ${mid}H${x2.toFixed(1)}M${x1.toFixed(1)} ${mid - 4}v8M${x2.toFixed(1)} ${mid - 4}v8" stroke="#1a202c" fill="none"/>`,
        )
      }
      const right = labelWidth + Math.max(length, ((bar.max ?? 0) / scaleMax) * barArea) + 6
      parts.push(`<text x="${right.toFixed(1)}" y="${y + 12}">${fmt(bar.value)} ${panel.unit}</text>`)
      y += barHeight + 4
    }
    y += 22
  }
  const height = y
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.title{font-weight:bold;font-size:13px}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" class="title" font-size="15">samsa benchmark</text>`,
    `<text x="10" y="38" fill="#4a5568">${escapeXml(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
