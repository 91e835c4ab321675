export declare const BIND: string;
export declare function freePort(): Promise<number>;
export declare function startLocalOp(opts?: { tmpPrefix?: string; vars?: Record<string, string> }): Promise<{
  issuer: string;
  secrets: Record<string, string>;
  stop: () => Promise<void>;
  output: () => string;
  reloads: () => number;
}>;
