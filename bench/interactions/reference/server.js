// Reference for the load test: Discord's official discord-interactions package with express.
// Verifies the signature with verifyKeyMiddleware (which also answers PING) and answers every
// command with the same fixed message. PUBLIC_KEY and PORT come from the environment.
const express = require('express');
const { InteractionType, InteractionResponseType, verifyKeyMiddleware } = require('discord-interactions');

const app = express();
app.post('/interactions', verifyKeyMiddleware(process.env.PUBLIC_KEY), (req, res) => {
  if (req.body.type === InteractionType.APPLICATION_COMMAND) {
    return res.send({
      type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
      data: { content: 'Iran: position (fixed reference answer)', allowed_mentions: { parse: [] } },
    });
  }
  return res.status(400).end();
});
app.get('/healthz', (_req, res) => res.send('ok'));
app.listen(Number(process.env.PORT || 18081), '127.0.0.1');
