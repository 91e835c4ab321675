export declare const root: string;
export declare const bin: string;
export declare const WORKERS: { name: string; config: string }[];
export declare const DEV_SECRET_NAMES: string[];
export declare function stageConfigs(dir: string, opts: { issuer: string; secrets: Record<string, string>; vars?: Record<string, string> }): string[];
export declare function dotenvLine(name: string, value: string): string;
export declare function devArgs(configs: string[], opts: { port: number | string; persistTo: string }): string[];
export declare function wranglerEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
