import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { type Catalogue, en, type MessageKey } from "./messages/en";
import { fr } from "./messages/fr";

/** The languages the pages speak; the first is the fallback. */
export const CATALOGUES = { en, fr } satisfies Record<string, Catalogue>;
export type Locale = keyof typeof CATALOGUES;
const LOCALES = Object.keys(CATALOGUES) as Locale[];

const primary = (tag: string) => tag.trim().toLowerCase().split(/[-_]/)[0] ?? "";

/** RFC 9110 §12.5.4 Accept-Language, by quality (q=0 excluded), as primary language tags. */
function acceptedLanguages(header: string | null): string[] {
  if (!header) return [];
  return header
    .split(",")
    .slice(0, 20)
    .map((part, i) => {
      const [tag, ...params] = part.split(";");
      const q = Number(
        params
          .find((p) => p.trim().startsWith("q="))
          ?.trim()
          .slice(2) ?? "1",
      );
      return { tag: primary(tag ?? ""), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((l) => l.tag && l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((l) => l.tag);
}

/**
 * The page language: the first supported one of the request's `ui_locales` (OIDC Core §3.1.2.1,
 * the RP's wish for this user), else of the browser's Accept-Language, else English.
 */
export function negotiateLocale(uiLocales: readonly string[] | undefined, acceptLanguage: string | null): Locale {
  for (const tag of [...(uiLocales ?? []).map(primary), ...acceptedLanguages(acceptLanguage)]) {
    if ((LOCALES as string[]).includes(tag)) return tag as Locale;
  }
  return "en";
}

export const localeOf = (request: Request, uiLocales?: readonly string[]) => negotiateLocale(uiLocales, request.headers.get("accept-language"));

type Param = string | number | HtmlEscapedString | Promise<HtmlEscapedString>;

/** A message with its placeholders filled; text is escaped, html`` values are kept as they are. */
export function t(locale: Locale, key: MessageKey, params: Record<string, Param> = {}) {
  const text = CATALOGUES[locale][key] ?? en[key];
  const parts = text.split(/\{(\w+)\}/);
  return html`${parts.map((part, i) => (i % 2 === 0 ? part : (params[part] ?? `{${part}}`)))}`;
}

/** The message as plain text (titles, attributes). */
export function text(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  return (CATALOGUES[locale][key] ?? en[key]).replace(/\{(\w+)\}/g, (m, name: string) => String(params[name] ?? m));
}

/** A wait of `seconds`, in words. */
export function duration(locale: Locale, seconds: number): string {
  if (seconds === 1) return text(locale, "time.second");
  return seconds < 90 ? text(locale, "time.seconds", { n: seconds }) : text(locale, "time.minutes", { n: Math.ceil(seconds / 60) });
}
