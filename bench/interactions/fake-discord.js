// The Discord API as the load test's dossier sees it after each answer: the edits that add
// charts (PATCH .../messages/@original, multipart). MODE=ok answers each with the message;
// MODE=429 answers each with a rate limit (retry_after 1 s), as Discord does when edits come
// too fast. LATENCY_MS delays each answer, as a Discord across the internet does (0: at once,
// which on one machine makes the edits compete with the load for its cores). PORT from the
// environment. Counts what it saw, on GET /count.
const http = require('http');
const mode = process.env.MODE || 'ok';
const latency = Number(process.env.LATENCY_MS || 0);
let edits = 0;
http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.end(JSON.stringify({ edits }));
    return;
  }
  req.on('data', () => {});
  req.on('end', () => setTimeout(() => {
    edits += 1;
    if (mode === '429') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1', 'x-ratelimit-scope': 'user' });
      res.end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 1.0, global: false }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: '1', channel_id: '1', content: '', embeds: [], attachments: [] }));
    }
  }, latency));
}).listen(Number(process.env.PORT || 18082), '127.0.0.1');
