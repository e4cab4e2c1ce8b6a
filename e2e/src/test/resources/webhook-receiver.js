// A webhook receiver as a vendor would write one: Node's http server, each delivery verified with
// the npm standardwebhooks package, not with anything of Turnstile's.
// Usage: node webhook-receiver.js PORT SECRET_FILE LOG_FILE FAIL_FIRST
// PORT 0 picks a free port; the port is printed as "listening on N". Each request appends one JSON
// line to LOG_FILE: {id, type, verified, status, error?}. The first FAIL_FIRST requests get 500.
const http = require('http');
const fs = require('fs');
const { Webhook } = require('standardwebhooks');

const [port, secretFile, logFile, failFirst] = process.argv.slice(2);
let failures = Number(failFirst || 0);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const line = { id: req.headers['webhook-id'] || null, type: null, verified: false, status: 204 };
    try {
      const secret = fs.readFileSync(secretFile, 'utf8').trim();
      const event = new Webhook(secret).verify(body, req.headers);
      line.verified = true;
      line.type = event.type;
      line.data = event.data;
    } catch (e) {
      line.error = String(e && e.message ? e.message : e);
    }
    if (failures > 0) {
      failures -= 1;
      line.status = 500;
    } else if (!line.verified) {
      line.status = 400;
    }
    fs.appendFileSync(logFile, JSON.stringify(line) + '\n');
    res.writeHead(line.status);
    res.end();
  });
});
server.listen(Number(port), '127.0.0.1', () => {
  console.log('listening on ' + server.address().port);
});
