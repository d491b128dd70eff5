/**
 * Node/V8 flags of the engine's own process: Electron's utilityProcess, and the bench's engine child that
 * measures it. A start's burst of list pages (10,000 pods are ~30 MB of JSON in pages of 500) grows V8's
 * young generation to its default of 16 MB per semi-space, and V8 keeps it committed afterwards: RSS the
 * loaded engine does not use. A smaller young generation means more, shorter scavenges during the burst
 * (bench/README.md, `kube`, has both figures).
 */
export const ENGINE_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=2'];
