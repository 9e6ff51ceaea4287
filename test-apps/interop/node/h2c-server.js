// h2c-server.js: a plain HTTP/2 (h2c, prior knowledge) server on Node's built-in http2 module (nghttp2 inside; no npm
// dependencies), the non-Java backend behind the Netty relay of the early-settings tests (issue 13). Every request is
// answered after --delay-ms (default 500) with 200 "hello from node\n".
//
// Prints "READY <port>" on stdout once it listens on 127.0.0.1; logs every session error and every GOAWAY it sends or
// receives on stderr ("session error: ..."), so a test can show the backend failing a connection.
//
// Usage: node h2c-server.js [--port 0] [--delay-ms 500]
'use strict';
const http2 = require('http2');

const args = {port: 0, 'delay-ms': 500};
for (let i = 2; i < process.argv.length - 1; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const delay = Number(args['delay-ms']);

const server = http2.createServer();
server.on('session', (session) => {
  session.on('error', (e) => console.error('session error: ' + (e.code || '') + ' ' + e.message));
  session.on('goaway', (code) => console.error('goaway received: code ' + code));
  session.on('frameError', (type, code) => console.error('session error: frame type ' + type + ' code ' + code));
});
server.on('sessionError', (e) => console.error('session error: ' + (e.code || '') + ' ' + e.message));
server.on('stream', (stream, headers) => {
  stream.on('error', (e) => console.error('stream error: ' + (e.code || '') + ' ' + e.message));
  setTimeout(() => {
    if (stream.destroyed || stream.closed) {
      console.error('stream gone before the answer: ' + headers[':path']);
      return;
    }
    stream.respond({':status': 200, 'content-type': 'text/plain'});
    stream.end('hello from node\n');
  }, delay);
});
server.listen(Number(args.port), '127.0.0.1', () => {
  console.log('READY ' + server.address().port);
});
process.on('SIGTERM', () => process.exit(0));
