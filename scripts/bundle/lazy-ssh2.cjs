// docker-modem reads require('ssh2').Client when it loads, but only ssh:// engines ever use it: load
// ssh2 (about 40 ms) on the first such connection instead of on every start of the CLI.
let real;
class Client {
  constructor(...args) {
    real ??= require('ssh2');
    return new real.Client(...args);
  }
}
module.exports = { Client };
