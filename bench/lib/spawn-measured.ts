/**
 * Runs one child process and measures its peak resident memory from outside, for clients that are not Node
 * (Java, kcat). Linux keeps the high-water mark in /proc/<pid>/status (VmHWM) and it only grows, so reading
 * it often enough and keeping the last value read before exit loses at most the growth of the final
 * interval.
 */

import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface MeasuredRun {
  code: number
  stdout: string
  stderr: string
  /** Peak RSS in MiB as last seen in /proc, or null where /proc is unavailable. */
  peakRssMb: number | null
  /** Wall time from spawn to exit, in ms. */
  wallMs: number
  /** Time of the first stdout byte, in ms after spawn, or null if the child printed nothing. */
  firstOutputMs: number | null
  /** Time of the last stdout byte, in ms after spawn, or null if the child printed nothing. */
  lastOutputMs: number | null
  /** Bytes in the first stdout chunk (output that was already buffered when the first-output clock started). */
  firstChunkBytes: number
}

export interface SpawnMeasuredOptions {
  stdin?: Buffer | string
  timeoutMs: number
  env?: Record<string, string>
}

function readHighWaterMarkMb(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) / 1024 : null
  } catch {
    return null
  }
}

export function spawnMeasured(
  command: string,
  args: readonly string[],
  options: SpawnMeasuredOptions,
): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let firstOutputMs: number | null = null
    let lastOutputMs: number | null = null
    let firstChunkBytes = 0
    let peakRssMb: number | null = null
    const sample = () => {
      if (child.pid === undefined) return
      const seen = readHighWaterMarkMb(child.pid)
      if (seen !== null) peakRssMb = Math.max(peakRssMb ?? 0, seen)
    }
    sample()
    const sampler = setInterval(sample, 10)
    const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      lastOutputMs = performance.now() - start
      if (firstOutputMs === null) {
        firstOutputMs = lastOutputMs
        firstChunkBytes = chunk.length
      }
      stdout.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.stdin.on('error', () => {})
    child.stdin.end(options.stdin)
    child.on('error', (error) => {
      clearInterval(sampler)
      clearTimeout(killer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearInterval(sampler)
      clearTimeout(killer)
      resolve({
        code: code ?? (signal === 'SIGKILL' ? 137 : -1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        peakRssMb,
        wallMs: performance.now() - start,
        firstOutputMs,
        lastOutputMs,
        firstChunkBytes,
      })
    })
  })
}
