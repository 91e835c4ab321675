// The Workers of the OP, in `wrangler dev` order: the first config serves :8787 (op-auth, the
// front Worker that hosts the Durable Objects); the others are reached over service bindings.
import { fileURLToPath } from "node:url";
import path from "node:path";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const WORKERS = [
  { name: "op-auth", config: "wrangler.toml", dir: "." },
  { name: "op-token", config: "packages/op-token/wrangler.toml", dir: "packages/op-token" },
  { name: "op-discovery", config: "packages/op-discovery/wrangler.toml", dir: "packages/op-discovery" },
  { name: "op-management", config: "packages/op-management/wrangler.toml", dir: "packages/op-management" },
];

export const configArgs = () => WORKERS.flatMap((w) => ["-c", w.config]);
