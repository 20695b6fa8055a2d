// The service under test: a tiny HTTP server on a fixed port, so the capture
// can be filtered on it (`--filter 'tcp port 8931'`) and the baseline pairs
// flows by it. It speaks just enough HTTP/1.1 over node:net to answer a GET
// and close, which leaves the closing to it: node:http ends a socket once
// the client has ended its side, whatever the handler does, so the leak
// below could not happen there.
//
// LEAK_CLOSE_WAIT=1 is the bug the example exists to catch: the reply is
// written but the socket is never ended. The client reads the whole reply
// (its Content-Length says where it ends) and closes its side; this side,
// half-open (allowHalfOpen), sits in CLOSE_WAIT until the server stops.
import { createServer } from 'node:net';

export const PORT = 8931;

/** How long stopping waits for open connections before dropping them, as a graceful shutdown does. */
const SHUTDOWN_GRACE_MS = 2000;

/** Starts the server; resolves with a function that stops it. */
export function startServer(port = PORT) {
  const leak = process.env.LEAK_CLOSE_WAIT === '1';
  const sockets = new Set();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      head += chunk;
      if (!head.includes('\r\n\r\n')) return;
      const [, path = '/'] = head.split(' ');
      const body = `hello ${path}\n`;
      const reply = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
      if (leak) socket.write(reply); // never ended: the leak
      else socket.end(reply);
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve(() => new Promise((done) => {
      // A connection still open after the grace period is dropped (a leaked one always is).
      const drop = setTimeout(() => { for (const s of sockets) s.destroy(); }, SHUTDOWN_GRACE_MS);
      server.close(() => { clearTimeout(drop); done(); });
    })));
  });
}
