// grpc-js-client.js: a real @grpc/grpc-js client (pinned in package.json) for the h2patch interop suite. Pass-through
// serializers, so no .proto is needed.
//
//   --mode health   grpc.health.v1.Health/Check (empty request); prints {"code":0,"name":"OK","details":"","serving":true}
//   --mode unary    /h2patch.Test/Fail (empty request); prints the status the client reports
//   --mode upload   /h2patch.Test/RejectUpload, client streaming: one 5-byte message now, another every 50 ms for
//                   --stream-ms, then half-close
//
// Usage: node grpc-js-client.js --port P [--host 127.0.0.1] [--mode health|unary|upload] [--timeout-ms 3000]
//                               [--stream-ms 500] [--ca PEM]
// --ca PEM: TLS with ALPN h2 instead of h2c, trusting the certificates in PEM (the tests' self-signed one; a private
// key in the same file is ignored).
// Always exits 0 once it printed its JSON line (the suite reads the status from it).
'use strict';
const fs = require('fs');
const grpc = require('@grpc/grpc-js');

const args = {host: '127.0.0.1', port: 0, mode: 'health', 'timeout-ms': 3000, 'stream-ms': 500, ca: ''};
for (let i = 2; i < process.argv.length - 1; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const timeoutMs = Number(args['timeout-ms']);
const id = (b) => b;
const ca = args.ca ? fs.readFileSync(args.ca, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  : null;
const credentials = ca ? grpc.credentials.createSsl(Buffer.from(ca.join('\n'))) : grpc.credentials.createInsecure();
const client = new grpc.Client(`${args.host}:${args.port}`, credentials);
const names = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));
let printed = false;

function done(err, response) {
  if (printed) return;
  printed = true;
  const out = err
    ? {code: err.code, name: names[err.code], details: err.details}
    : {code: 0, name: 'OK', details: ''};
  if (args.mode === 'health' && !err) out.serving = Buffer.from(response || []).equals(Buffer.from([8, 1]));
  console.log(JSON.stringify(out));
  client.close();
  setTimeout(() => process.exit(0), 50).unref();
}

const deadline = new Date(Date.now() + timeoutMs);
if (args.mode === 'health') {
  client.makeUnaryRequest('/grpc.health.v1.Health/Check', id, id, Buffer.alloc(0), {deadline}, done);
} else if (args.mode === 'unary') {
  client.makeUnaryRequest('/h2patch.Test/Fail', id, id, Buffer.alloc(0), {deadline}, done);
} else if (args.mode === 'upload') {
  const call = client.makeClientStreamRequest('/h2patch.Test/RejectUpload', id, id, {deadline}, done);
  const started = Date.now();
  call.write(Buffer.from([0, 0, 0, 0, 0]).subarray(0, 0)); // an empty message: the 5-byte gRPC prefix only
  const timer = setInterval(() => {
    if (printed || Date.now() - started >= Number(args['stream-ms'])) {
      clearInterval(timer);
      if (!printed) call.end();
      return;
    }
    call.write(Buffer.alloc(0));
  }, 50);
} else {
  console.log(JSON.stringify({code: -1, name: 'USAGE', details: `unknown --mode ${args.mode}`}));
  process.exit(64);
}
setTimeout(() => done({code: grpc.status.DEADLINE_EXCEEDED, details: 'client-side timeout'}), timeoutMs + 3000).unref();
