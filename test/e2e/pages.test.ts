import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DESKTOP, launchChromium, PAGES, PHONE, tour } from "../../scripts/pages/tour.mjs";
import { issuer } from "./support";

/**
 * Every page a person sees (issue #13 point 8), in a real browser, at phone and desktop widths,
 * in English and French: no WCAG 2.2 AA violation that axe-core can find, the page's language
 * declared, and the text in that language.
 */
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const FRENCH_HEADINGS: Record<string, RegExp> = {
  error: /ne peut pas aboutir/,
  login: /Connexion/,
  "login-refused": /Connexion/,
  consent: /demande l’accès/,
  "logout-confirm": /Se déconnecter/,
  "logout-done": /déconnecté/,
  "device-code": /Connecter un appareil/,
  "device-login": /Connexion/,
  "device-consent": /Autoriser un appareil/,
  "device-done": /Appareil connecté/,
};

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function audit(page: Page) {
  await page.evaluate(AXE);
  return page.evaluate(async (tags) => {
    const result = await (window as any).axe.run(document, { runOnly: { type: "tag", values: tags } });
    return result.violations.map(
      (v: { id: string; help: string; nodes: { target: string[] }[] }) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
    );
  }, WCAG_AA);
}

describe("the OP's pages (WCAG 2.2 AA by axe-core, languages)", () => {
  for (const locale of ["en", "fr"]) {
    for (const [width, viewport] of [
      ["phone", PHONE],
      ["desktop", DESKTOP],
    ] as const) {
      it(`${locale}, ${width}: every page passes axe-core's WCAG 2.2 AA rules and speaks ${locale}`, async () => {
        const seen: string[] = [];
        await tour(browser, issuer, {
          locale,
          viewport,
          visit: async (name: string, page: Page) => {
            seen.push(name);
            expect(await audit(page), `${name}: axe-core violations`).toEqual([]);
            expect(await page.getAttribute("html", "lang"), name).toBe(locale);
            // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text as rendered
            if (locale === "fr") expect(await page.innerText("h1"), name).toMatch(FRENCH_HEADINGS[name]!);
            // A logo that fails to load is removed, not left as a gap.
            expect(await page.locator("img[data-logo]").count(), name).toBe(0);
          },
        });
        expect(seen).toEqual(PAGES);
      });
    }
  }
});
