/**
 * Which browsers and which Host names may reach a mount: the origin and host grammar the options are validated
 * with, and the Host/Origin check every request passes before anything else (DNS-rebinding protection).
 * @module
 */
import { jsonRpcError, type HttpReply, type RequestHead } from './replies.js';

/**
 * Browser origins of pages served from this machine, on any port: what a server listening on localhost should
 * accept (browser-based MCP clients such as the MCP Inspector's web UI send one), while every other origin is
 * refused. DNS rebinding cannot forge them: a rebound page keeps its own origin.
 */
export const LOOPBACK_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*', 'https://localhost:*', 'https://127.0.0.1:*', 'https://[::1]:*'];

/** One allowed `Host` value, as `allowedHosts` lists it. */
export interface HostRule {
  readonly hostname: string;
  /** `undefined`: any port. */
  readonly port: string | undefined;
}

/** The Host and Origin rules of a mount, as `resolveHttpOptions` resolves them. */
export interface OriginRules {
  /** Lower-cased; includes the CORS origins. */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly allowedHosts: readonly HostRule[] | undefined;
}

/** Whether `value` is an origin (`https://app.example.com`), optionally with `:*` for any port. */
export function isOrigin(value: string): boolean {
  const exact = value.endsWith(':*') ? value.slice(0, -2) : value;
  try {
    const url = new URL(exact);
    // With a port wildcard, the rest must be an origin without a port of its own.
    return url.origin === exact.toLowerCase() && (exact === value || url.port === '');
  } catch {
    return false;
  }
}

/** A `Host` value (or an `allowedHosts` entry) split into hostname and port, lower-cased. */
export function parseHost(value: string): HostRule {
  const host = value.toLowerCase();
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  return { hostname: match?.[1] ?? host, port: match?.[2] };
}

/** 403 for an `Origin` that is not allowed. */
export function originNotAllowed(): HttpReply {
  return jsonRpcError(403, -32000, 'Forbidden: Origin not allowed');
}

/**
 * Host and Origin checks. Host is checked only when `allowedHosts` is set; an `Origin` header must be in the
 * allowed origins (browsers always send one on cross-site requests, so a DNS-rebound page is refused).
 */
export function checkHostAndOrigin(config: OriginRules, head: RequestHead): HttpReply | undefined {
  if (config.allowedHosts && !hostAllowed(config.allowedHosts, head.header('host'))) {
    return jsonRpcError(403, -32000, 'Forbidden: Host not allowed');
  }
  const requestOrigin = head.header('origin');
  if (requestOrigin !== undefined && !originAllowed(config.allowedOrigins, requestOrigin)) {
    return originNotAllowed();
  }
  return undefined;
}

/** Whether an `Origin` header is allowed: listed exactly, or its scheme and host listed with the `:*` wildcard. */
function originAllowed(allowed: ReadonlySet<string>, header: string): boolean {
  const value = header.toLowerCase();
  if (allowed.has(value)) return true;
  try {
    const url = new URL(value);
    return url.origin === value && allowed.has(`${url.protocol}//${url.hostname}:*`);
  } catch {
    return false;
  }
}

function hostAllowed(rules: readonly HostRule[], header: string | undefined): boolean {
  if (!header) return false;
  const { hostname, port } = parseHost(header);
  return rules.some((rule) => rule.hostname === hostname && (rule.port === undefined || rule.port === port));
}
