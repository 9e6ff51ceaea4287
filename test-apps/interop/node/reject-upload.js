// reject-upload.js: a client-streaming gRPC-shaped call with Node's built-in http2 client (no npm dependencies), for
// the proxy-safe-reset tests (seed 004). It sends the request HEADERS and one 5-byte gRPC message, keeps sending a
// message every --interval-ms until --stream-ms have passed, then ends its side (END_STREAM). --stream-ms 0 is a
// unary call: the message carries END_STREAM at once.
//
// Prints one JSON line: {"status":200,"grpcStatus":"7","grpcMessage":"upload rejected","rstCode":8,
// "closedMs":123,"error":null}. rstCode is Node's stream.rstCode: the RST_STREAM code received from the peer (8 =
// CANCEL), or 0 when the stream closed normally or with RST_STREAM(NO_ERROR).
//
// Usage: node reject-upload.js --port P [--host 127.0.0.1] [--path /h2patch.Test/RejectUpload]
//                              [--stream-ms 0] [--interval-ms 50] [--timeout-ms 5000] [--ca PEM]
// --ca PEM: TLS with ALPN h2 instead of h2c, trusting the certificates in PEM (the tests' self-signed one; a private
// key in the same file is ignored).
'use strict';
const fs = require('fs');
const http2 = require('http2');

const args = {host: '127.0.0.1', port: 0, path: '/h2patch.Test/RejectUpload', 'stream-ms': 0,
  'interval-ms': 50, 'timeout-ms': 5000, ca: ''};
for (let i = 2; i < process.argv.length - 1; i += 2) {
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const streamMs = Number(args['stream-ms']);
const result = {status: null, grpcStatus: null, grpcMessage: null, rstCode: null, closedMs: null, error: null};
const started = Date.now();
let timer = null;
let finished = false;

function finish() {
  if (finished) return;
  finished = true;
  if (timer) clearInterval(timer);
  result.closedMs = Date.now() - started;
  console.log(JSON.stringify(result));
  client.close();
  setTimeout(() => process.exit(0), 100).unref();
}

const message = Buffer.from([0, 0, 0, 0, 0]);
const ca = args.ca ? fs.readFileSync(args.ca, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  : null;
const client = ca ? http2.connect(`https://${args.host}:${args.port}`, {ca})
  : http2.connect(`http://${args.host}:${args.port}`);
client.on('error', (e) => { result.error = String(e); finish(); });
const req = client.request({
  ':method': 'POST', ':path': args.path, 'content-type': 'application/grpc', 'te': 'trailers',
}, {endStream: false});
req.on('response', (h) => {
  result.status = h[':status'];
  if (h['grpc-status'] !== undefined) result.grpcStatus = String(h['grpc-status']);
  if (h['grpc-message'] !== undefined) result.grpcMessage = String(h['grpc-message']);
});
req.on('trailers', (h) => {
  if (h['grpc-status'] !== undefined) result.grpcStatus = String(h['grpc-status']);
  if (h['grpc-message'] !== undefined) result.grpcMessage = String(h['grpc-message']);
});
req.on('data', () => {});
req.on('error', (e) => { result.error = String(e.code || e); });
req.on('close', () => { result.rstCode = req.rstCode; finish(); });

if (streamMs <= 0) {
  req.end(message);
} else {
  req.write(message);
  timer = setInterval(() => {
    if (req.destroyed || req.writableEnded) return;
    if (Date.now() - started >= streamMs) {
      clearInterval(timer);
      timer = null;
      req.end(message);
    } else {
      req.write(message);
    }
  }, Number(args['interval-ms']));
}
setTimeout(() => { result.error = result.error || 'timeout'; req.destroy(); finish(); },
  Number(args['timeout-ms'])).unref();
