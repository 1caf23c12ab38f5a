import {
  closeSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** The lock file in the output folder: the process id of the run that holds it. */
export const LOCK = '.atlas-lock';
/** Held for an instant while a dead run's lock is removed, so two runs never both remove it. */
const BREAKER = `${LOCK}.break`;
/** A breaker older than this was left by a run killed while holding it. */
const BREAKER_STALE_MS = 5_000;

/** Another run holds the output folder's lock and did not let go in time. */
export class LockBusy extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: number | undefined,
  ) {
    super(
      `another \`atlas-incus generate\`${holder ? ` (process ${holder})` : ''} is writing here and holds ${lockPath}`,
    );
  }
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function holderOf(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

/** Remove the lock of `dead` unless someone else has taken it meanwhile. */
function breakStale(dir: string, lock: string, dead: number): void {
  const breaker = join(dir, BREAKER);
  try {
    closeSync(openSync(breaker, 'wx', 0o644));
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
    try {
      if (Date.now() - lstatSync(breaker).mtimeMs > BREAKER_STALE_MS) unlinkSync(breaker);
    } catch (inner) {
      if (errno(inner) !== 'ENOENT') throw inner;
    }
    return;
  }
  try {
    if (holderOf(lock) === dead) unlinkSync(lock);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  } finally {
    try {
      unlinkSync(breaker);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e; // removed by the run that now holds the lock
    }
  }
}

/** Files of earlier runs killed while taking or breaking a lock (we hold the lock now). */
function removeLeftovers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = /^\.atlas-lock\.(\d+)\.atlas-tmp$/.exec(name)?.[1];
    const stale =
      (pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid))) ||
      // While we hold the lock nobody can be removing a dead run's lock, so a breaker is left over.
      name === BREAKER;
    if (stale) unlinkSync(join(dir, name));
  }
}

/**
 * Take the lock of output folder `dir`, waiting up to `waitMs` for a live
 * holder; a lock left by a killed run is taken over. The lock file is linked
 * into place complete (never seen empty), and the returned function frees it.
 */
export function lockOutput(dir: string, waitMs: number, shown = dir): () => void {
  const lock = join(dir, LOCK);
  const mine = join(dir, `${LOCK}.${process.pid}.atlas-tmp`);
  const deadline = Date.now() + waitMs;
  writeFileSync(mine, `${process.pid}\n`, { mode: 0o644 });
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        removeLeftovers(dir);
        return () => unlinkSync(lock);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      const holder = holderOf(lock);
      if (holder !== undefined && !alive(holder)) {
        breakStale(dir, lock, holder);
        continue;
      }
      if (Date.now() >= deadline) throw new LockBusy(join(shown, LOCK), holder);
      sleep(20);
    }
  } finally {
    unlinkSync(mine);
  }
}
