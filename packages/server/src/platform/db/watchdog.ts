import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { processStartTime } from './owner';

/**
 * The watchdog's program, run with `node -e` (so it works from src/ under jest and ts-node and
 * from dist/ alike). It reads its stdin, a pipe whose other end only Tally holds: the kernel
 * closes it when Tally ends in any way (a clean stop, a crash, SIGKILL, the OOM killer). Then, if
 * the postmaster it was given still runs (same pid and start time), it is stopped (SIGINT: a fast
 * shutdown; SIGQUIT after 20 s), and a throw-away cluster is removed.
 * Arguments: postmaster pid, its start time ('' if unknown), cluster folder, '1' to remove it.
 */
const PROGRAM = `
const fs = require('node:fs');
const [pidText, startTime, clusterDir, remove] = process.argv.slice(1);
const pid = Number(pidText);
const startOf = () => {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch { return null; }
};
const alive = () => {
  try { process.kill(pid, 0); } catch (e) { if (e.code !== 'EPERM') return false; }
  const now = startOf();
  return !startTime || now === null || now === startTime;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let done = false;
const stop = async () => {
  if (done) return;
  done = true;
  if (alive()) {
    try { process.kill(pid, 'SIGINT'); } catch {}
    for (let i = 0; i < 200 && alive(); i++) await sleep(100);
    if (alive()) { try { process.kill(pid, 'SIGQUIT'); } catch {} for (let i = 0; i < 50 && alive(); i++) await sleep(100); }
  }
  if (remove === '1' && !alive()) fs.rmSync(clusterDir, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('data', () => {});
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
`;

export interface Watchdog {
  /** Tally stopped PostgreSQL itself: the watchdog ends without doing anything. */
  release(): void;
}

/**
 * A detached process that stops this Tally's PostgreSQL when Tally ends without stopping it
 * (README, "One Tally per data folder"). It does not keep Tally's event loop alive.
 */
export function startWatchdog(postmasterPid: number, clusterDir: string, removeOnStop: boolean): Watchdog {
  const child = spawn(
    process.execPath,
    ['-e', PROGRAM, String(postmasterPid), processStartTime(postmasterPid) ?? '', clusterDir, removeOnStop ? '1' : '0'],
    // Its own session: a Ctrl-C or a kill of Tally's process group does not reach it.
    { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  child.on('error', () => undefined);
  child.unref();
  const pipe = child.stdin;
  if (pipe instanceof Socket) pipe.unref();
  pipe?.on('error', () => undefined);
  return {
    release() {
      pipe?.end();
    },
  };
}
