// The application's own test: it talks to the server over real TCP. Run under
// `synfin record`, its connections are captured as it runs (README.md).
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PORT, startServer } from './server.mjs';

let stop;
beforeAll(async () => { stop = await startServer(); });
afterAll(() => stop());

/** One GET on a connection of its own (no keep-alive agent): each request is one flow in the capture. */
function get(path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

it('answers each request', async () => {
  for (const path of ['/a', '/b', '/c']) {
    expect(await get(path)).toEqual({ status: 200, body: `hello ${path}\n` });
  }
});
