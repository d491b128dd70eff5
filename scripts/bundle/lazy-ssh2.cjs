// docker-modem reads require('ssh2').Client when it loads, and the SSH plane's connection module imports
// ssh2 for its Client and utils.parseKey; but only a dialled host or an ssh:// engine ever uses them: load
// ssh2 (about 40 ms) on the first such use instead of on every start of the CLI.
let real;
const load = () => (real ??= require('ssh2'));
class Client {
  constructor(...args) {
    return new (load().Client)(...args);
  }
}
module.exports = {
  Client,
  get utils() { return load().utils; },
};
