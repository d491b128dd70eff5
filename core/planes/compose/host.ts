import { spawn } from 'node:child_process';
import { runRemoteCommand, type RemoteCommandHost } from '../ssh/command';
import { COMPOSE_PROBES, pickComposeCli, type ComposeCli } from './cli';

/** Where compose commands run: this machine, or an SSH host through its shared connection. */
export interface CommandHost {
  /** "this machine", "kraken-workers": for previews, messages and the audit. */
  readonly where: string;
  /** Runs an argument list (never a shell string); each output line is handed on as it arrives. */
  run(argv: readonly string[], opts?: { cwd?: string; env?: Record<string, string>; onLine?: (stream: 'stdout' | 'stderr', line: string) => void; timeoutMs?: number }): Promise<CommandResult>;
}

/** `notStarted`: the program could not be started at all (not found, not executable): it changed nothing. */
export interface CommandResult { exitCode: number | null; stdout: string; stderr: string; notStarted?: boolean }

/** Splits chunks into lines, handing each whole line on; the rest at `end`. */
function lineSplitter(fn?: (line: string) => void) {
  let partial = '';
  return {
    write(chunk: Buffer | string) {
      if (!fn) return;
      partial += chunk.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        fn(partial.slice(0, nl).replace(/\r$/, ''));
        partial = partial.slice(nl + 1);
      }
    },
    end() { if (fn && partial) fn(partial); partial = ''; },
  };
}

/** This machine: the program is spawned with its arguments, no shell; `env` is added to ours. */
export function localHost(baseEnv: Record<string, string | undefined> = process.env): CommandHost {
  return {
    where: 'this machine',
    run(argv, opts = {}) {
      return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: { ...baseEnv, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '';
        const out = lineSplitter(opts.onLine && ((l) => opts.onLine!('stdout', l)));
        const err = lineSplitter(opts.onLine && ((l) => opts.onLine!('stderr', l)));
        child.stdout.on('data', (b: Buffer) => { stdout += b; out.write(b); });
        child.stderr.on('data', (b: Buffer) => { stderr += b; err.write(b); });
        let timedOut = false;
        const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs) : undefined;
        child.on('error', (e) => { if (timer) clearTimeout(timer); resolve({ exitCode: null, stdout, stderr: stderr + `${argv[0]}: ${e.message}`, notStarted: child.pid === undefined }); });
        child.on('close', (code, signal) => {
          if (timer) clearTimeout(timer);
          out.end(); err.end();
          // Ended by a signal there is no exit code: say which, and whether it was our time limit.
          const why = code !== null ? '' : timedOut ? `\ntimed out after ${opts.timeoutMs} ms` : `\nended by ${signal ?? 'a signal'}`;
          resolve({ exitCode: code, stdout, stderr: stderr + why });
        });
      });
    },
  };
}

/**
 * An SSH host: runRemoteCommand with the argument list; a working directory through `inDir` and the
 * environment through `withEnv` (cli.ts), so nothing is pasted into the remote shell. `cwd` and `env`
 * are therefore refused here: the caller puts them into the argument list, where the preview shows them.
 */
export function sshHost(alias: string, conn: RemoteCommandHost): CommandHost {
  return {
    where: alias,
    async run(argv, opts = {}) {
      if (opts.cwd || opts.env) throw new Error('a remote command takes its directory and environment in its argument list');
      const out = lineSplitter(opts.onLine && ((l) => opts.onLine!('stdout', l)));
      const err = lineSplitter(opts.onLine && ((l) => opts.onLine!('stderr', l)));
      const r = await runRemoteCommand(conn, argv, { timeoutMs: opts.timeoutMs, onOutput: (s, b) => (s === 'stdout' ? out : err).write(b) });
      out.end(); err.end();
      const lost = r.lost ? `\nthe SSH connection to ${alias} went away during the command` : r.timedOut ? `\ntimed out after ${opts.timeoutMs} ms` : '';
      return { exitCode: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() + lost };
    },
  };
}

/**
 * The host's compose CLI: `docker compose version`, then `docker-compose version`; asked once per host
 * (a failed detection is asked again next time, since the operator may install one meanwhile).
 */
export class ComposeDetector {
  private readonly known = new WeakMap<CommandHost, Promise<ComposeCli>>();
  private readonly settled = new WeakMap<CommandHost, ComposeCli>();

  detect(host: CommandHost): Promise<ComposeCli> {
    let p = this.known.get(host);
    if (!p) {
      p = (async () => {
        const answers = [];
        for (const probe of COMPOSE_PROBES) {
          const a = await host.run([...probe.argv, 'version'], { timeoutMs: 20_000 });
          answers.push(a);
          const picked = pickComposeCli(answers);
          if (!('error' in picked)) return picked;
        }
        const picked = pickComposeCli(answers);
        throw new Error(`${host.where}: ${'error' in picked ? picked.error : 'no compose CLI'}`);
      })();
      this.known.set(host, p);
      p.then((cli) => this.settled.set(host, cli), () => this.known.delete(host));
    }
    return p;
  }

  /** The CLI when it is already known (for a preview, which cannot wait). */
  peek(host: CommandHost): ComposeCli | undefined { return this.settled.get(host); }
}
