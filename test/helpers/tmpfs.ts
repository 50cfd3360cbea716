import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tempDir } from './temp-dir.js';

/** Why a tmpfs cannot be mounted here (not root, no mount), or `null` when it can. */
export const tmpfsUnavailable: string | null = (() => {
  const dir = tempDir('evaltrack-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir.path], { stdio: 'pipe' });
    execFileSync('umount', [dir.path], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `mounting a tmpfs failed (${(e as Error).message.split('\n')[0]}); run as root`;
  } finally {
    dir[Symbol.dispose]();
  }
})();

/**
 * A fresh, real tmpfs of `bytes`, unmounted on dispose: a disk that fills up. Under CI it must
 * mount; elsewhere a test that needs it is skipped with {@link tmpfsUnavailable} as the reason.
 */
export function tmpfs(bytes: number): { path: string; readOnly(): void } & Disposable {
  const dir = tempDir('evaltrack-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir.path]);
  return {
    path: dir.path,
    readOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir.path]),
    [Symbol.dispose]: () => {
      // Lazily: a tracker a failed test left open must not keep the mount.
      execFileSync('umount', ['--lazy', dir.path]);
      dir[Symbol.dispose]();
    },
  };
}

/** Whether tests that need a tmpfs run: always under CI (and fail there if it cannot mount). */
export const runsTmpfsTests = tmpfsUnavailable === null || Boolean(process.env['CI']);

/** Fills the file system of `dir` with `dir/filler` until `leave` bytes are free. */
export function fill(dir: string, leave: number): void {
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  if (free < leave) throw new Error(`only ${free} bytes free, wanted to leave ${leave}`);
  writeFileSync(`${dir}/filler`, Buffer.alloc(free - leave));
}

/** Frees what {@link fill} took. */
export const unfill = (dir: string): void => rmSync(`${dir}/filler`);

/** The files under `dir` that this process holds open (Linux: /proc/self/fd). */
export function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // closed meanwhile (the descriptor of the listing itself)
      }
    })
    .filter((path) => path.startsWith(`${dir}/`))
    .sort();
}
