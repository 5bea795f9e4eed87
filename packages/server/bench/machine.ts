import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/**
 * How busy the machine is with work that is not the bench's: the CPU that processes outside the
 * bench's own process tree (this process, the embedded PostgreSQL, the load generators, Chromium,
 * the servers it starts) use, read from /proc. The load average cannot say it during a run: the
 * bench's own work raises it, and `pnpm bench` builds just before it starts. Linux only; elsewhere
 * every figure here is null and the bench says it could not look.
 */

const CORES = availableParallelism();

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks: a reaped child's time moves into its parent's. */
  ticks: number;
}

function readStat(pid: string): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const field = (n: number) => Number(fields[n - 3]);
    return { pid: Number(pid), ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
  } catch {
    return null;
  }
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat) stats.push(stat);
  }
  return stats;
}

/** `root` and every process below it, from /proc (empty where /proc cannot be read). */
export function processTree(root: number): number[] {
  let stats: ProcStat[];
  try {
    stats = allStats();
  } catch {
    return [];
  }
  return treeOf(root, stats).map((s) => s.pid);
}

function treeOf(root: number, stats: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const found: ProcStat[] = [];
  const self = stats.find((s) => s.pid === root);
  const pending = self ? [self] : [];
  for (let next = pending.pop(); next; next = pending.pop()) {
    found.push(next);
    pending.push(...(children.get(next.pid) ?? []));
  }
  return found;
}

/** The program a process runs ('' when it cannot be read). */
export function executableOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** CPU time (ms) used so far by the processes of `pids` that run `program` and their reaped children. */
export function cpuMsOf(pids: readonly number[], program: RegExp): number {
  let ticks = 0;
  for (const pid of pids) {
    if (!program.test(executableOf(pid))) continue;
    ticks += readStat(String(pid))?.ticks ?? 0;
  }
  return ticks * 10; // USER_HZ 100
}

/** Busy clock ticks of every core since boot (/proc/stat's first line: all but idle and iowait). */
function busyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

interface Reading {
  at: number;
  busy: number;
  /** Ticks of the bench's tree, per pid (a pid that is gone counts in its parent's cutime once reaped). */
  ours: Map<number, number>;
}

function read(root: number): Reading {
  const at = performance.now();
  const busy = busyTicks();
  const ours = new Map(treeOf(root, allStats()).map((s) => [s.pid, s.ticks]));
  return { at, busy, ours };
}

/** Cores that processes outside the bench's tree kept busy between two readings, on average. */
function othersBetween(a: Reading, b: Reading, ticksPerSecond: number): number {
  let ours = 0;
  for (const [pid, ticks] of b.ours) ours += ticks - (a.ours.get(pid) ?? 0);
  // A process gone since `a` was reaped by its parent, whose cutime now holds all of its time:
  // what it had used by `a` was counted then.
  for (const [pid, ticks] of a.ours) if (!b.ours.has(pid)) ours -= ticks;
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return 0;
  return Math.min(CORES, Math.max(0, (b.busy - a.busy - ours) / ticksPerSecond / seconds));
}

/** What a stretch of the run saw of other processes: their mean and highest use, in cores. */
export interface OthersLoad {
  meanCores: number;
  peakCores: number;
  /** The 1-minute load average at the stretch's end (the bench's own work included). */
  loadAverage: number;
}

/** One stretch (a group) of a run and what it saw. */
export type OthersStretch = { label: string } & OthersLoad;

/** Other processes are "busy" from a quarter of the machine's cores on (half a core on two). */
export const BUSY_CORES = 0.25 * CORES;

/**
 * Samples the CPU of processes outside this process's tree every `intervalMs` while the bench
 * runs; `mark(label)` starts a stretch (a group), `stretches()` says what each one saw.
 */
export class OthersMonitor {
  private readonly ticksPerSecond = 100; // USER_HZ: 100 on every Linux the bench runs on
  private last: Reading | null = null;
  private timer: NodeJS.Timeout | null = null;
  private current: { label: string; samples: Array<{ cores: number; seconds: number }> } | null = null;
  private readonly done: OthersStretch[] = [];

  static available(): boolean {
    try {
      busyTicks();
      return readStat(String(process.pid)) !== null;
    } catch {
      return false;
    }
  }

  constructor(private readonly intervalMs = 2000) {}

  /**
   * Cores other processes keep busy now, over `ms` (the bench's own tree excluded), with the
   * 1-minute load average for reference; null where /proc cannot be read.
   */
  static async now(ms = 3000): Promise<OthersLoad | null> {
    if (!OthersMonitor.available()) return null;
    const monitor = new OthersMonitor(Math.max(250, ms / 6));
    monitor.start('now');
    await new Promise((resolve) => setTimeout(resolve, ms));
    return monitor.stop()[0] ?? null;
  }

  start(label: string): void {
    if (!OthersMonitor.available()) return;
    this.last ??= read(process.pid);
    this.timer ??= setInterval(() => this.sample(), this.intervalMs).unref();
    this.close();
    this.current = { label, samples: [] };
  }

  /** Ends the stretch under way and the sampling; returns every stretch, in order. */
  stop(): OthersStretch[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.close();
    return [...this.done];
  }

  private sample(): void {
    if (!this.last || !this.current) return;
    const next = read(process.pid);
    this.current.samples.push({
      cores: othersBetween(this.last, next, this.ticksPerSecond),
      seconds: (next.at - this.last.at) / 1000,
    });
    this.last = next;
  }

  private close(): void {
    if (!this.current) return;
    this.sample();
    const { label, samples } = this.current;
    const seconds = samples.reduce((sum, s) => sum + s.seconds, 0);
    const meanCores = seconds > 0 ? samples.reduce((sum, s) => sum + s.cores * s.seconds, 0) / seconds : 0;
    // A short sample (the one a stretch ends with) is a few clock ticks: no peak of its own.
    const peakCores = samples.reduce((peak, s) => (s.seconds >= 1 ? Math.max(peak, s.cores) : peak), 0);
    this.done.push({ label, meanCores, peakCores, loadAverage: loadavg()[0] ?? 0 });
    this.current = null;
  }
}

export function cores(): number {
  return CORES;
}
