// A DNS server that answers every query with one response code (SERVFAIL=2, REFUSED=5, ...),
// echoing the question: a corporate resolver whose upstream/forwarding is broken, or one that
// refuses clients it does not serve. Usage: node rcode-dns.mjs <ip> <rcode>
import { createSocket } from 'node:dgram';

const [ip, rcodeArg] = process.argv.slice(2);
const rcode = Number(rcodeArg) & 0xf;
const sock = createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  if (msg.length < 12) return;
  let i = 12;
  while (i < msg.length && msg[i] !== 0) i += msg[i] + 1;
  const end = Math.min(msg.length, i + 5);
  const out = Buffer.from(msg.subarray(0, end));
  const rd = msg[2] & 0x01;
  out[2] = 0x80 | (msg[2] & 0x78) | rd; // QR, opcode, RD
  out[3] = 0x80 | rcode; // RA + rcode
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  sock.send(out, rinfo.port, rinfo.address);
});
sock.bind(53, ip, () => console.log(`rcode-dns ready on ${ip}:53 rcode ${rcode}`));
