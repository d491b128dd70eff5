import { execFile } from 'node:child_process';

/**
 * The PATH of the user's login shell. An app launched from a dock or a desktop menu gets the session's
 * bare PATH, without what ~/.profile or ~/.zprofile add (Homebrew, ~/.local/bin, gcloud, aws): exec auth
 * plugins live there. Read once per process, as an argument list (the shell only runs `printf`), with a
 * time limit so a slow rc file cannot hold up the plane; the process's own PATH is kept after it.
 */
let cached: Promise<string> | undefined;

export function loginShellPath(env: Record<string, string | undefined>, platform = process.platform): Promise<string> {
  return (cached ??= readLoginPath(env, platform));
}

/** For tests: forget the memoized value. */
export function resetLoginShellPath(): void { cached = undefined; }

export function mergePaths(first: string, then: string | undefined, sep = ':'): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of [...first.split(sep), ...(then ?? '').split(sep)]) if (p && !seen.has(p)) { seen.add(p); out.push(p); }
  return out.join(sep);
}

function readLoginPath(env: Record<string, string | undefined>, platform: string): Promise<string> {
  const own = env.PATH ?? '';
  const shell = env.SHELL;
  if (platform === 'win32' || !shell) return Promise.resolve(own);
  return new Promise((resolve) => {
    execFile(shell, ['-lc', 'printf %s "$PATH"'], { timeout: 5_000, maxBuffer: 64 * 1024, env: { ...env } as NodeJS.ProcessEnv }, (err, stdout) => {
      // Any failure (no such shell, rc file errors, timeout) leaves the PATH the app already has.
      resolve(err || !stdout.trim() ? own : mergePaths(stdout.trim(), own));
    });
  });
}
