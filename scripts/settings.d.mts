export interface DocumentedNames {
  variables: Set<string>;
  secrets: Set<string>;
}
export declare const SETTINGS_FILE: string;
export declare function parseAssignment(text: string): { name: string; value: string };
export declare function parseSettings(text: string, file?: string): { values: Record<string, string>; lines: Record<string, number>; warnings: string[] };
export declare function documentedNames(doc?: string): DocumentedNames;
export declare function unknownNameWarnings(values: Record<string, string>, opts?: { names?: DocumentedNames; where?: (name: string) => string }): string[];
export declare function splitSettings(
  values: Record<string, string>,
  names?: DocumentedNames,
): { vars: Record<string, string>; secrets: Record<string, string> };
export declare function describeSetting(name: string, value: string, names?: DocumentedNames): string;
export declare function parseStartArgs(
  args: string[],
  settingsFile?: string,
): {
  port: string | undefined;
  settingsFile: string;
  settingsRequired: boolean;
  sets: Record<string, string>;
  rest: string[];
};
export declare function resolveStart(
  args: string[],
  opts?: { names?: DocumentedNames; settingsFile?: string },
): { port: string; issuer: string; settings: Record<string, string>; rest: string[]; notes: string[]; warnings: string[] };
