// stop-in-flight.js: Node's built-in http2 client (no npm dependencies) with streams in flight while the server
// stops, for the connection-state tests. It opens --streams requests to --path on one connection, asks --stop-path on
// a second connection after --stop-after-ms (the app's graceful stop), and waits for every stream to close. Node
// answers the server's GOAWAY with its own (session marked closed), which is what Tomcat used to close the connection
// on.
//
// Prints one JSON line: {"done":4,"failed":0,"goaway":[0],"streams":["200/0",...]}: done = streams answered 200 with
// the body "slow\n"; each stream as status/rstCode.
//
// Usage: node stop-in-flight.js --port P [--streams 4] [--path /slow?ms=3000] [--stop-path /admin/shutdown]
//                               [--stop-after-ms 1000] [--timeout-ms 12000]
'use strict';
const http2 = require('http2');

const args = {host: '127.0.0.1', port: 0, streams: 4, path: '/slow?ms=3000', 'stop-path': '/admin/shutdown',
  'stop-after-ms': 1000, 'timeout-ms': 12000};
for (let i = 2; i < process.argv.length - 1; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const url = 'http://' + args.host + ':' + args.port;
const result = {done: 0, failed: 0, goaway: [], streams: []};
let printed = false;
function print() {
  if (!printed) {
    printed = true;
    console.log(JSON.stringify(result));
    process.exit(0);
  }
}
const session = http2.connect(url);
session.on('goaway', (code) => result.goaway.push(code));
session.on('error', () => {});
const total = Number(args.streams);
for (let i = 0; i < total; i++) {
  const req = session.request({':path': args.path});
  let status;
  let body = '';
  req.on('response', (headers) => { status = headers[':status']; });
  req.on('data', (chunk) => { body += chunk; });
  req.on('error', () => {});
  req.on('close', () => {
    if (status === 200 && body === 'slow\n') {
      result.done++;
    } else {
      result.failed++;
    }
    result.streams.push((status === undefined ? '-' : status) + '/' + req.rstCode);
    if (result.done + result.failed === total) {
      print();
    }
  });
  req.end();
}
setTimeout(() => {
  const stopper = http2.connect(url);
  stopper.on('error', () => {});
  const req = stopper.request({':path': args['stop-path']});
  req.on('error', () => {});
  req.on('close', () => stopper.close());
  req.resume();
  req.end();
}, Number(args['stop-after-ms']));
setTimeout(print, Number(args['timeout-ms']));
