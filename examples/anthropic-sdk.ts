/**
 * Claude answering a question over a conexor endpoint through the Anthropic API's MCP connector.
 * The API calls the URL itself, so the endpoint must be reachable from the internet (HTTPS), and the conexor API key
 * is sent as `Authorization: Bearer <key>`. Use a key made for this purpose only (`conexor keys create`).
 *
 *   ANTHROPIC_API_KEY=… CONEXOR_URL=https://data.example.com/mcp CONEXOR_API_KEY=cx_… npx tsx examples/anthropic-sdk.ts
 */
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic();

const response = await client.beta.messages.create({
  model: process.env.CLAUDE_MODEL ?? 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'How many orders were placed in the last 7 days, by country?' }],
  mcp_servers: [
    {
      type: 'url',
      url: process.env.CONEXOR_URL ?? 'https://data.example.com/mcp',
      name: 'shop-database',
      authorization_token: process.env.CONEXOR_API_KEY ?? null,
    },
  ],
  betas: ['mcp-client-2025-04-04'],
});

for (const block of response.content) {
  if (block.type === 'text') console.log(block.text);
}
