// dockerode's BuildKit session support (gRPC, protobuf) is never used by Pilothouse, which builds no
// images; it costs ~60 ms of load. Anything that reaches it says so instead of failing obscurely.
module.exports = new Proxy({}, {
  get(_t, key) {
    if (key === '__esModule' || typeof key === 'symbol') return undefined;
    throw new Error(`Pilothouse's build leaves out dockerode's BuildKit sessions (asked for '${String(key)}')`);
  },
});
