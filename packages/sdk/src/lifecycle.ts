/** What the client does when the process ends or the page goes away. */
export interface HookTarget {
  /** Node's `beforeExit`: the event loop is empty; send what is left. */
  onBeforeExit(): void;
  /** SIGTERM: send what is left within the shutdown time. */
  onSigterm(): Promise<void>;
  /** The page is hidden or left: send what is queued with keepalive. */
  onPageHide(): void;
}

/** Defined (true) only in the browser bundle's build. */
declare const __TALLY_BROWSER__: boolean | undefined;

interface NodeProcess {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  pid: number;
}

function nodeProcess(): NodeProcess | undefined {
  const candidate: unknown = Reflect.get(globalThis, 'process');
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const p = candidate as Partial<NodeProcess>;
  return typeof p.on === 'function' &&
    typeof p.off === 'function' &&
    typeof p.listenerCount === 'function' &&
    typeof p.kill === 'function' &&
    typeof p.pid === 'number'
    ? (p as NodeProcess)
    : undefined;
}

/** The clients that flush on exit: one pair of process listeners serves them all. */
const exiting = new Set<HookTarget>();
let listening: { proc: NodeProcess; beforeExit: () => void; sigterm: () => void } | undefined;

function listen(proc: NodeProcess): void {
  if (listening) return;
  const beforeExit = () => {
    for (const target of exiting) target.onBeforeExit();
  };
  const sigterm = () => {
    // Another listener is the app's: ending the process is then the app's call.
    const appListens = proc.listenerCount('SIGTERM') > 1;
    void Promise.allSettled([...exiting].map((target) => target.onSigterm())).then(() => {
      unlisten();
      if (!appListens) proc.kill(proc.pid, 'SIGTERM');
    });
  };
  proc.on('beforeExit', beforeExit);
  proc.on('SIGTERM', sigterm);
  listening = { proc, beforeExit, sigterm };
}

function unlisten(): void {
  if (!listening) return;
  listening.proc.off('beforeExit', listening.beforeExit);
  listening.proc.off('SIGTERM', listening.sigterm);
  listening = undefined;
}

/**
 * Attaches the exit hooks (Node, when asked) and the page hooks (browsers, unless switched off);
 * returns what detaches them. On SIGTERM every client that asked sends what is left; then the
 * signal is raised again without these listeners, so the process ends as it would have without
 * the SDK — unless the app listens to SIGTERM itself: then ending the process is the app's call.
 */
export function attachHooks(target: HookTarget, wanted: { node: boolean; browser: boolean }): () => void {
  const detachers: Array<() => void> = [];
  // The browser bundle is built with __TALLY_BROWSER__ defined (rolldown.config.mjs): no Node hooks in it.
  const proc = wanted.node && typeof __TALLY_BROWSER__ === 'undefined' ? nodeProcess() : undefined;
  if (proc) {
    exiting.add(target);
    listen(proc);
    detachers.push(() => {
      exiting.delete(target);
      if (exiting.size === 0) unlisten();
    });
  }
  const win: unknown = Reflect.get(globalThis, 'window');
  const doc: unknown = Reflect.get(globalThis, 'document');
  if (wanted.browser && typeof win === 'object' && win !== null && typeof doc === 'object' && doc !== null) {
    const w = win as Window;
    const d = doc as Document;
    if (typeof w.addEventListener === 'function' && typeof d.addEventListener === 'function') {
      const pagehide = () => target.onPageHide();
      const visibility = () => {
        if (d.visibilityState === 'hidden') target.onPageHide();
      };
      w.addEventListener('pagehide', pagehide);
      d.addEventListener('visibilitychange', visibility);
      detachers.push(() => {
        w.removeEventListener('pagehide', pagehide);
        d.removeEventListener('visibilitychange', visibility);
      });
    }
  }
  return () => {
    for (const detach of detachers.splice(0)) detach();
  };
}
