export declare function buildWorker(worker: { name: string; config: string }, outRoot?: string): string;
export declare function buildAll(outRoot?: string): Record<string, string>;
