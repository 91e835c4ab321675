import type { Browser, Page } from "playwright-core";

export const PHONE: { width: number; height: number };
export const DESKTOP: { width: number; height: number };
export const PAGES: string[];
export function launchChromium(): Promise<Browser>;
export function tour(
  browser: Browser,
  issuer: string,
  opts: { locale: string; viewport: { width: number; height: number }; visit: (name: string, page: Page) => Promise<void> },
): Promise<void>;
