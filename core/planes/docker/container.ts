// What the model needs of a container, cut from `docker inspect`: never the whole inspect blob, which
// at thousands of containers would be most of the engine's memory.
export interface ContainerView {
  id: string;
  name: string;
  image: string;
  labels: {
    project?: string; service?: string; number?: string; oneoff?: boolean;
    /** Where compose ran and which files it read: how a local project's compose commands are run again. */
    workingDir?: string; configFiles?: string;
  };
  state: {
    status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead' | string;
    exitCode: number;
    oomKilled: boolean;
    error?: string;
    startedAt?: string;
    finishedAt?: string;
    restartCount: number;
    health?: { status: 'starting' | 'healthy' | 'unhealthy' | 'none' | string; failingStreak: number; lastOutput?: string; lastExitCode?: number };
  };
  restartPolicy?: string;
  ports: string[];
  tty: boolean;
}

// A subset of the inspect JSON, typed loosely because engines of different versions omit fields.
interface InspectLike {
  Id: string; Name?: string; Config?: { Image?: string; Labels?: Record<string, string> | null; Tty?: boolean };
  State?: {
    Status?: string; ExitCode?: number; OOMKilled?: boolean; Error?: string; StartedAt?: string; FinishedAt?: string;
    Health?: { Status?: string; FailingStreak?: number; Log?: Array<{ ExitCode?: number; Output?: string }> | null };
  };
  RestartCount?: number;
  HostConfig?: { RestartPolicy?: { Name?: string } };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function containerFromInspect(raw: InspectLike): ContainerView {
  const labels = raw.Config?.Labels ?? {};
  const st = raw.State ?? {};
  const log = st.Health?.Log ?? [];
  const last = log.length ? log[log.length - 1] : undefined;
  const ports: string[] = [];
  for (const [inner, binds] of Object.entries(raw.NetworkSettings?.Ports ?? {})) {
    for (const b of binds ?? []) ports.push(`${b.HostIp || '0.0.0.0'}:${b.HostPort}->${inner}`);
  }
  return {
    id: raw.Id,
    name: (raw.Name ?? raw.Id.slice(0, 12)).replace(/^\//, ''),
    image: raw.Config?.Image ?? '',
    labels: {
      project: labels['com.docker.compose.project'],
      service: labels['com.docker.compose.service'],
      number: labels['com.docker.compose.container-number'],
      oneoff: labels['com.docker.compose.oneoff'] === 'True',
      workingDir: labels['com.docker.compose.project.working_dir'] || undefined,
      configFiles: labels['com.docker.compose.project.config_files'] || undefined,
    },
    state: {
      status: st.Status ?? 'unknown',
      exitCode: st.ExitCode ?? 0,
      oomKilled: !!st.OOMKilled,
      error: st.Error || undefined,
      startedAt: st.StartedAt && st.StartedAt !== ZERO_TIME ? st.StartedAt : undefined,
      finishedAt: st.FinishedAt && st.FinishedAt !== ZERO_TIME ? st.FinishedAt : undefined,
      restartCount: raw.RestartCount ?? 0,
      health: st.Health?.Status
        ? { status: st.Health.Status, failingStreak: st.Health.FailingStreak ?? 0, lastOutput: last?.Output?.trim() || undefined, lastExitCode: last?.ExitCode }
        : undefined,
    },
    restartPolicy: raw.HostConfig?.RestartPolicy?.Name || undefined,
    ports,
    tty: !!raw.Config?.Tty,
  };
}
