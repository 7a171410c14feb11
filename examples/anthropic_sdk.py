"""Claude answering a question over a conexor endpoint through the Anthropic API's MCP connector.

The API calls the URL itself, so the endpoint must be reachable from the internet (HTTPS); the conexor API key is
sent as `Authorization: Bearer <key>`. Use a key made for this purpose only (`conexor keys create`).

    pip install anthropic
    ANTHROPIC_API_KEY=... CONEXOR_URL=https://data.example.com/mcp CONEXOR_API_KEY=cx_... python examples/anthropic_sdk.py
"""
import os

import anthropic

client = anthropic.Anthropic()

response = client.beta.messages.create(
    model=os.environ.get("CLAUDE_MODEL", "claude-sonnet-5-5"),
    max_tokens=1024,
    messages=[{"role": "user", "content": "How many orders were placed in the last 7 days, by country?"}],
    mcp_servers=[
        {
            "type": "url",
            "url": os.environ.get("CONEXOR_URL", "https://data.example.com/mcp"),
            "name": "shop-database",
            "authorization_token": os.environ.get("CONEXOR_API_KEY"),
        }
    ],
    betas=["mcp-client-2025-04-04"],
)

for block in response.content:
    if block.type == "text":
        print(block.text)
