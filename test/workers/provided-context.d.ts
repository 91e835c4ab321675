// What test/setup/document-server.ts (vitest globalSetup) provides: the origin of a loopback
// HTTP server for documents the OP fetches from client URLs. A module, so this augments vitest.
export {};

declare module "vitest" {
  export interface ProvidedContext {
    documentServer: string;
  }
}
