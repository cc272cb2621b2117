// The drain figure's upstream, in its own process (plain `node`, no tsx) so its CPU is not the
// gateway's: answers 200 `{}` to any request. Prints `listening <port>`; exits when its stdin
// closes (the benchmark ended, however it ended) or after MAX_LIFETIME_MS at the latest.
import { createServer } from 'node:http';

const MAX_LIFETIME_MS = 15 * 60_000;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));

const exit = () => process.exit(0);
process.stdin.on('end', exit).on('close', exit).resume();
process.on('SIGTERM', exit);
setTimeout(exit, MAX_LIFETIME_MS).unref();
