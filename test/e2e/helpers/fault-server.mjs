// Misbehaving network devices for the fault e2e tests. Usage:
//   node fault-server.mjs proxy <ip> <port> <mode>   mode: close | ntlm | established-close | 502
//   node fault-server.mjs https <ip> <port> <cert> <key> <mode>   mode: portal | gateway
// proxy close: reads the CONNECT and closes without a word; ntlm: 407 offering only NTLM/Negotiate;
// established-close: "200 Connection established", then closes the tunnel; 502: Bad Gateway page.
// https portal: a captive portal (its own certificate, 302 to its sign-in page for every request);
// gateway: an HTML 503 "Service Unavailable" page from a load balancer in front of the service.
import { createServer } from 'node:net';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';

const [kind, ip, portArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
const ready = () => console.log(`fault-server ${kind} ready on ${ip}:${port}`);

if (kind === 'proxy') {
  const mode = rest[0];
  createServer((sock) => {
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      if (mode === 'close') sock.destroy();
      else if (mode === 'ntlm') {
        sock.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      } else if (mode === 'established-close') {
        sock.write('HTTP/1.1 200 Connection established\r\n\r\n');
        setTimeout(() => sock.destroy(), 50);
      } else if (mode === '502') {
        const body = '<html><body>502 Bad Gateway</body></html>';
        sock.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      }
      buf = '';
    });
  }).listen(port, ip, ready);
} else if (kind === 'https') {
  const [cert, key, mode] = rest;
  createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    if (mode === 'portal') {
      res.writeHead(302, { location: 'https://portal.example/login?orig=1', 'content-type': 'text/html' });
      res.end('<html><body>Sign in to Guest Wi-Fi</body></html>');
    } else {
      res.writeHead(503, { 'content-type': 'text/html', server: 'BigIP' });
      res.end('<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>');
    }
  }).listen(port, ip, ready);
}
