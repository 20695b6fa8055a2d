// The service under test: a tiny HTTP server on a fixed port, so the capture
// can be filtered on it (`--filter 'tcp port 8931'`) and the baseline pairs
// flows by it.
import { createServer } from 'node:http';

export const PORT = 8931;

/** Starts the server; resolves with a function that stops it. */
export function startServer(port = PORT) {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${req.url}\n`);
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve(() => new Promise((done) => server.close(done))));
  });
}
