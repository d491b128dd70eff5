import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import type { Client } from '../../../shared/contract/client';
import { openTerminal, type TerminalLink, type TerminalStatus } from '../terminals/stream';
import { currentTheme, type Theme } from '../theme/theme';
import { useTheme } from '../theme/useTheme';

const THEMES: Record<Theme, ITheme> = {
  dark: { background: '#0e1014', foreground: '#d8dce4', cursor: '#d8dce4', selectionBackground: '#3a4152' },
  // xterm's default ANSI colours are made for a dark screen; on white, minimumContrastRatio lifts them.
  light: { background: '#ffffff', foreground: '#1f2328', cursor: '#1f2328', selectionBackground: '#b6d7ff',
    black: '#24292f', red: '#cf222e', green: '#116329', yellow: '#4d2d00', blue: '#0969da', magenta: '#8250df', cyan: '#1b7c83', white: '#6e7781',
    brightBlack: '#57606a', brightRed: '#a40e26', brightGreen: '#1a7f37', brightYellow: '#633c01', brightBlue: '#218bff', brightMagenta: '#a475f9', brightCyan: '#3192aa', brightWhite: '#8c959f' },
};

interface Props {
  client: Client;
  resource: string;
  /** The container to exec into (kube); absent: the plane's default. */
  container?: string;
  title: string;
  active: boolean;
  status: TerminalStatus;
  onStatus(s: TerminalStatus): void;
}

/**
 * Whether WebGL runs on a GPU. Software WebGL (SwiftShader in Chromium with --disable-gpu or in a VM,
 * Mesa's llvmpipe) is slower than xterm's DOM renderer and stalls on every readback, so it counts as none.
 */
function gpuWebgl(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2', { failIfMajorPerformanceCaveat: true });
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return !/swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

/** WebGL draws faster on a GPU; without one xterm's DOM renderer draws, quietly. */
async function tryWebgl(term: XTerm): Promise<void> {
  if (!gpuWebgl()) return;
  try {
    const { WebglAddon } = await import('@xterm/addon-webgl');
    const gl = new WebglAddon();
    gl.onContextLoss(() => gl.dispose());
    term.loadAddon(gl);
  } catch {
    // the DOM renderer stays
  }
}

/**
 * One terminal: xterm.js bound to a `terminal:session` stream. The xterm lives as long as the tab, so
 * a reconnect keeps the scrollback; each connection is a new stream into it.
 */
export function Terminal({ client, resource, container, title, active, status, onStatus }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm | undefined>(undefined);
  const fit = useRef<FitAddon | undefined>(undefined);
  const link = useRef<TerminalLink | undefined>(undefined);
  const clientRef = useRef(client);
  clientRef.current = client;
  const statusFn = useRef(onStatus);
  statusFn.current = onStatus;
  const [attempt, setAttempt] = useState(0);
  const theme = useTheme();
  useEffect(() => { if (term.current) term.current.options.theme = THEMES[theme]; }, [theme]);

  useEffect(() => {
    const t = new XTerm({ scrollback: 10_000, fontFamily: 'ui-monospace, Menlo, monospace', fontSize: 13, cursorBlink: true, theme: THEMES[currentTheme()], minimumContrastRatio: 4.5 });
    const f = new FitAddon();
    t.loadAddon(f);
    t.open(box.current!);
    void tryWebgl(t);
    // Ctrl+Shift+C copies the selection; Ctrl+Shift+V (and Ctrl+V, Shift+Insert) paste through the
    // browser's paste event, which xterm takes as a paste (bracketed when the program asked for it).
    t.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        const text = t.getSelection();
        if (text) void navigator.clipboard?.writeText(text).catch(() => document.execCommand('copy'));
        return false;
      }
      return e.code !== 'KeyV';
    });
    term.current = t;
    fit.current = f;
    const inputSub = t.onData((s) => link.current?.input(s));
    const resizeSub = t.onResize(({ cols, rows }) => link.current?.resize(cols, rows));
    // A hidden tab has no size: fitting it would make a 1×1 terminal, and the program would wrap at 1.
    const ro = new ResizeObserver(() => { if (box.current?.offsetWidth) f.fit(); });
    ro.observe(box.current!);
    if (box.current!.offsetWidth) f.fit();
    return () => { ro.disconnect(); inputSub.dispose(); resizeSub.dispose(); t.dispose(); term.current = undefined; };
  }, []);

  useEffect(() => {
    const t = term.current!;
    if (attempt > 0) t.write('\r\n');
    statusFn.current({ state: 'opening' });
    const l = openTerminal(clientRef.current, { resource, ...(container ? { container } : {}), cols: t.cols, rows: t.rows }, {
      data: (text, shown) => t.write(text, shown),
      status: (s) => statusFn.current(s),
    });
    link.current = l;
    return () => { l.close(); if (link.current === l) link.current = undefined; };
  }, [resource, container, attempt]);

  useEffect(() => {
    if (!active) return;
    if (box.current?.offsetWidth) fit.current?.fit();
    term.current?.focus();
  }, [active]);

  const ended = status.state === 'exited' || status.state === 'lost' || status.state === 'failed';
  return (
    <div className={`ph-terminal${active ? '' : ' hidden'}`} role="tabpanel" aria-label={`Terminal ${title}`} data-status={status.state}>
      <div className="terminal-screen" ref={box} />
      {ended && (
        <div className={`terminal-ended terminal-${status.state}`} role="status">
          <span>{status.state === 'lost' ? `Connection lost: ${status.reason}` : status.state === 'failed' ? `Could not open: ${status.reason}` : `Session ended: ${status.reason}`}</span>
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>{status.state === 'lost' ? 'Reconnect' : 'Open again'}</button>
        </div>
      )}
    </div>
  );
}
