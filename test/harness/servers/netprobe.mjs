#!/usr/bin/env node
// netprobe: tiny Node client used by harness tests inside the client namespace. Prints ONE JSON
// object on stdout and exits 0 (errors are reported in the JSON, with their Node error code).
//
//   netprobe.mjs lookup <name>                         getaddrinfo (dns.lookup, all addresses)
//   netprobe.mjs resolve <name> [A|CNAME|AAAA] [timeoutMs]   DNS query (dns.Resolver, system servers, 1 try)
//   netprobe.mjs tcp <host> <port> [timeoutMs]         plain TCP connect
//   netprobe.mjs tls <host> <port> [timeoutMs] [servername]   TLS handshake, default trust (+NODE_EXTRA_CA_CERTS)
//   netprobe.mjs https <url> [timeoutMs]               GET via node:https (no proxy)
//   netprobe.mjs connect <proxyUrl> <host:port> [timeoutMs]   CONNECT through a proxy (creds from the URL)
//   netprobe.mjs proxytls <proxyUrl> <host> [timeoutMs]        CONNECT, then TLS to host:443 through the tunnel
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

const [cmd, ...args] = process.argv.slice(2);
const started = performance.now();

function done(obj) {
  process.stdout.write(JSON.stringify({ ...obj, ms: Math.round(performance.now() - started) }) + '\n');
  process.exit(0);
}

function fail(err, extra = {}) {
  done({ ok: false, code: err?.code ?? err?.name ?? 'ERROR', message: String(err?.message ?? err), ...extra });
}

function chainOf(sock) {
  const out = [];
  let c = sock.getPeerCertificate(true);
  const seen = new Set();
  while (c && c.fingerprint256 && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push({ subject: c.subject?.CN, issuer: c.issuer?.CN, issuerO: c.issuer?.O, validTo: c.valid_to });
    c = c.issuerCertificate;
  }
  return out;
}

function tlsOver(opts, timeoutMs) {
  return new Promise((resolve) => {
    const s = tls.connect({ ...opts, rejectUnauthorized: false });
    const t = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, code: 'TIMEOUT' });
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(t);
      const r = { ok: s.authorized, authorized: s.authorized, authorizationError: s.authorizationError ?? null, protocol: s.getProtocol(), chain: chainOf(s) };
      s.end();
      resolve(r);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      resolve({ ok: false, code: e.code ?? 'ERROR', message: e.message });
    });
  });
}

function connectVia(proxyUrl, target, timeoutMs) {
  return new Promise((resolve) => {
    const p = new URL(proxyUrl);
    const headers = { host: target };
    if (p.username) {
      headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}`;
    }
    const req = http.request({ host: p.hostname, port: Number(p.port || 80), method: 'CONNECT', path: target, headers });
    const t = setTimeout(() => {
      req.destroy();
      resolve({ ok: false, code: 'TIMEOUT' });
    }, timeoutMs);
    req.once('connect', (res, socket) => {
      clearTimeout(t);
      resolve({ ok: res.statusCode === 200, status: res.statusCode, proxyAuthenticate: res.headers['proxy-authenticate'] ?? null, wwwAuthenticate: res.headers['www-authenticate'] ?? null, socket });
    });
    req.once('response', (res) => {
      clearTimeout(t);
      res.resume();
      resolve({ ok: false, status: res.statusCode, proxyAuthenticate: res.headers['proxy-authenticate'] ?? null });
    });
    req.once('error', (e) => {
      clearTimeout(t);
      resolve({ ok: false, code: e.code ?? 'ERROR', message: e.message });
    });
    req.end();
  });
}

try {
  switch (cmd) {
    case 'lookup': {
      dns.lookup(args[0], { all: true }, (err, addrs) => (err ? fail(err) : done({ ok: true, addresses: addrs.map((a) => a.address) })));
      break;
    }
    case 'resolve': {
      const type = (args[1] ?? 'A').toUpperCase();
      const r = new dns.promises.Resolver({ timeout: Number(args[2] ?? 2000), tries: 1 });
      r.resolve(args[0], type).then((v) => done({ ok: true, records: v }), (e) => fail(e));
      break;
    }
    case 'tcp': {
      const timeoutMs = Number(args[2] ?? 3000);
      const s = net.connect({ host: args[0], port: Number(args[1]) });
      s.setTimeout(timeoutMs, () => {
        s.destroy();
        done({ ok: false, code: 'TIMEOUT' });
      });
      s.once('connect', () => {
        s.end();
        done({ ok: true, remote: s.remoteAddress });
      });
      s.once('error', (e) => fail(e));
      break;
    }
    case 'tls': {
      const timeoutMs = Number(args[2] ?? 3000);
      tlsOver({ host: args[0], port: Number(args[1]), servername: args[3] ?? args[0] }, timeoutMs).then(done);
      break;
    }
    case 'https': {
      const timeoutMs = Number(args[1] ?? 5000);
      const req = https.get(args[0], { timeout: timeoutMs, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => done({ ok: true, status: res.statusCode, date: res.headers.date ?? null, body: body.slice(0, 2000) }));
      });
      req.on('timeout', () => {
        req.destroy();
        done({ ok: false, code: 'TIMEOUT' });
      });
      req.on('error', (e) => fail(e));
      break;
    }
    case 'connect': {
      const r = await connectVia(args[0], args[1], Number(args[2] ?? 5000));
      r.socket?.destroy();
      delete r.socket;
      done(r);
      break;
    }
    case 'proxytls': {
      const timeoutMs = Number(args[2] ?? 5000);
      const r = await connectVia(args[0], `${args[1]}:443`, timeoutMs);
      if (!r.socket) {
        done(r);
        break;
      }
      const t = await tlsOver({ socket: r.socket, servername: args[1] }, timeoutMs);
      r.socket.destroy();
      done({ status: r.status, ...t });
      break;
    }
    default:
      done({ ok: false, code: 'USAGE', message: `unknown command ${cmd}` });
  }
} catch (e) {
  fail(e);
}
