export {};
// Runs the performance scenarios and exits non-zero when one is over its budget.
const which = process.argv.slice(2);
const all: Record<string, () => Promise<{ run(): Promise<boolean> }>> = {
  logs: () => import('./logs-ingest'),
};
let ok = true;
for (const [name, load] of Object.entries(all)) {
  if (which.length && !which.includes(name)) continue;
  ok = (await (await load()).run()) && ok;
}
process.exit(ok ? 0 : 1);
