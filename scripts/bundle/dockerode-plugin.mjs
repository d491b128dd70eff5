// An esbuild plugin for the engine's bundles: dockerode and what it requires are bundled in (one file
// loads several times faster than hundreds), BuildKit's gRPC and protobuf are left out (the kube plane's
// own protobufjs import is not), ssh2 is loaded on
// first use; every other package stays in node_modules.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const STUBBED = new Set(['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs']);
const BUNDLED_ROOTS = new Set(['dockerode', 'docker-modem']);
const bare = (p) => !p.startsWith('.') && !path.isAbsolute(p) && !p.startsWith('node:');

export const dockerodePlugin = {
  name: 'pilothouse-dockerode',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!bare(args.path) || args.kind === 'entry-point') return undefined;
      const pkg = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      const ours = !args.importer.includes(`${path.sep}node_modules${path.sep}`) && !args.importer.endsWith('lazy-ssh2.cjs');
      // The kube plane's own protobufjs (its pod lists) stays a package; only dockerode's is left out.
      if (STUBBED.has(pkg) && !(ours && pkg === 'protobufjs')) return { path: path.join(here, 'no-buildkit.cjs') };
      // docker-modem's and our own (core/planes/ssh/connection.ts) imports of ssh2 load it on first use.
      if (pkg === 'ssh2' && (ours || args.importer.includes(`${path.sep}docker-modem${path.sep}`))) return { path: path.join(here, 'lazy-ssh2.cjs') };
      const fromPackage = args.importer.includes(`${path.sep}node_modules${path.sep}`) && !args.importer.endsWith('lazy-ssh2.cjs');
      if (BUNDLED_ROOTS.has(pkg) || (fromPackage && pkg !== 'ssh2' && pkg !== 'cpu-features')) return undefined; // bundle it
      return { path: args.path, external: true };
    });
  },
};

/** ESM bundles that contain CommonJS packages need a real `require` for Node's built-in modules. */
export const REQUIRE_BANNER = "import { createRequire as __phCreateRequire } from 'node:module'; const require = __phCreateRequire(import.meta.url);";
