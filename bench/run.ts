export {};
// Runs the performance scenarios and exits non-zero when one is over its budget.
//   npm run bench [-- NAME ...] [options of the scenarios, e.g. --n 50000 for model]
const args = process.argv.slice(2);
const all: Record<string, () => Promise<{ run(): Promise<boolean> }>> = {
  logs: () => import('./logs-suite'),
  model: () => import('./core-model'),
  kube: () => import('./kube'),
};
const which = args.filter((a) => Object.hasOwn(all, a));
let ok = true;
for (const [name, load] of Object.entries(all)) {
  if (which.length && !which.includes(name)) continue;
  ok = (await (await load()).run()) && ok;
}
process.exit(ok ? 0 : 1);
