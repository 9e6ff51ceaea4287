// h2-tls-server.js: Node's http2.createSecureServer (TLS, ALPN h2; no npm dependencies), for the probe's TLS test
// (ProbeTest, docs/probe.md): answers every request with 200 "hello over tls\n".
//
// Prints "READY <port>" on stdout once it listens on 127.0.0.1.
//
// Usage: node h2-tls-server.js --pfx keystore.p12 --passphrase PASS [--port 0]
'use strict';
const http2 = require('http2');
const fs = require('fs');

const args = {port: 0};
for (let i = 2; i < process.argv.length - 1; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const server = http2.createSecureServer({pfx: fs.readFileSync(args.pfx), passphrase: args.passphrase});
server.on('stream', (stream) => {
  stream.on('error', (e) => console.error('stream error: ' + (e.code || '') + ' ' + e.message));
  stream.respond({':status': 200, 'content-type': 'text/plain'});
  stream.end('hello over tls\n');
});
server.listen(Number(args.port), '127.0.0.1', () => {
  console.log('READY ' + server.address().port);
});
process.on('SIGTERM', () => process.exit(0));
