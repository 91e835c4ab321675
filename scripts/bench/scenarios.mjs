// The benchmark's scenarios, identical requests for both OPs. Five are driven by autocannon
// (fixed duration and connections); the full login is a loop of its own, since each login is a
// sequence of dependent requests with a cookie jar.
import autocannon from "autocannon";
import { basicAuth, form, keepAliveAgent } from "./http.mjs";
import { loginFlow } from "./login-flow.mjs";

/** An absolute resource indicator (RFC 8707) both OPs issue JWT access tokens for. */
export const API_RESOURCE = "https://api.bench.example/";

const tokenRequest = (op, params) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(op.client.id, op.client.secret) },
  body: form(params),
});

/**
 * Refresh tokens are single-use (rotation), so each request needs a fresh one. A pool holds the
 * current token of several families; a request takes one and its response puts the rotated one
 * back: every connection chains rotations as a real client does, and no token is sent twice.
 * Tokens still in flight when a run stops are lost, so the pool is refilled before every run.
 */
export class RefreshPool {
  tokens = [];

  constructor(op, size) {
    this.op = op;
    this.size = size;
  }

  async fill(agent) {
    for (let guard = 0; this.tokens.length < this.size && guard < this.size * 2; guard++) {
      const needed = this.size - this.tokens.length;
      const batch = await Promise.all(Array.from({ length: Math.min(needed, 8) }, () => loginFlow(this.op, agent)));
      for (const t of batch) this.tokens.push(t.refresh_token);
    }
    if (this.tokens.length < this.size) throw new Error("could not fill the refresh-token pool");
  }

  take() {
    const token = this.tokens.shift();
    if (!token) throw new Error("refresh-token pool ran dry (a rotation failed?)");
    return token;
  }

  give(body) {
    try {
      const token = JSON.parse(body).refresh_token;
      if (token) this.tokens.push(token);
    } catch {
      // an error response: the chain ends here and is counted as non-2xx
    }
  }
}

/** autocannon options for each scenario, given an OP's endpoints, client and prepared state. */
export const SCENARIOS = {
  discovery: (op) => ({ url: op.discoveryUrl }),
  jwks: (op) => ({ url: op.jwksUri }),
  client_credentials: (op) => ({ url: op.tokenEndpoint, ...tokenRequest(op, { grant_type: "client_credentials", scope: "api", resource: API_RESOURCE }) }),
  refresh_token: (op) => {
    const base = tokenRequest(op, {});
    return {
      url: op.tokenEndpoint,
      requests: [
        {
          method: "POST",
          setupRequest: (req) => ({ ...req, headers: base.headers, body: form({ grant_type: "refresh_token", refresh_token: op.refreshPool.take() }) }),
          onResponse: (_status, body) => op.refreshPool.give(body),
        },
      ],
    };
  },
  userinfo: (op) => ({ url: op.userinfoEndpoint, headers: { authorization: `Bearer ${op.accessToken}` } }),
};

export const SCENARIO_NAMES = [...Object.keys(SCENARIOS), "login_flow"];

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/**
 * One autocannon run; returns successful requests per second and the p50/p99 latency in ms.
 * Latencies are taken from its response events: its own histogram keeps whole milliseconds,
 * too coarse for sub-millisecond answers.
 */
export function runAutocannon(options, { connections, durationS }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const instance = autocannon({ ...options, connections, duration: durationS, timeout: 10 }, (err, r) => {
      if (err) return reject(err);
      latencies.sort((a, b) => a - b);
      resolve({
        rps: r["2xx"] / r.duration,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        requests: r.requests.total,
        failures: r.non2xx + r.errors + r.timeouts,
      });
    });
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/**
 * Complete logins with `concurrency` browsers for `durationS` seconds (and at most `maxFlows`);
 * returns logins per second and the p50/p99 of one login's duration.
 */
export async function runLoginFlows(op, { concurrency, durationS, maxFlows = 100_000 }) {
  const agent = keepAliveAgent(concurrency * 2);
  const latencies = [];
  let started = 0;
  let failures = 0;
  let firstError;
  const deadline = performance.now() + durationS * 1000;
  const browser = async () => {
    while (performance.now() < deadline && started < maxFlows) {
      started++;
      const t = performance.now();
      try {
        await loginFlow(op, agent);
        latencies.push(performance.now() - t);
      } catch (err) {
        failures++;
        firstError ??= err.message;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, browser));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), requests: latencies.length, failures, firstError };
}

/** Runs one scenario against one OP. */
export async function runScenario(name, op, settings) {
  if (name === "login_flow") return runLoginFlows(op, { concurrency: settings.loginConcurrency, durationS: settings.durationS });
  if (name === "refresh_token") await op.refreshPool.fill(op.agent);
  return runAutocannon(SCENARIOS[name](op), settings);
}
