#!/usr/bin/env node
// Screenshots of every page at phone and desktop widths, in English, for docs/pages.md:
// starts the OP (scripts/local-op.mjs), walks the tour (tour.mjs) and writes docs/pages/<page>-<width>.png.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { startLocalOp } from "../local-op.mjs";
import { root } from "../workers.mjs";
import { DESKTOP, launchChromium, PHONE, tour } from "./tour.mjs";

const out = path.join(root, "docs", "pages");
mkdirSync(out, { recursive: true });
const op = await startLocalOp({ tmpPrefix: "op-screens-", vars: { RATE_LIMIT_REGISTER_IP: "100/1h" } });
const browser = await launchChromium();
try {
  for (const [width, viewport] of [
    ["phone", PHONE],
    ["desktop", DESKTOP],
  ]) {
    await tour(browser, op.issuer, {
      locale: "en",
      viewport,
      visit: async (name, page) => {
        await page.screenshot({ path: path.join(out, `${name}-${width}.png`), fullPage: true });
      },
    });
  }
  console.log(`screenshots in ${path.relative(root, out)}`);
} finally {
  await browser.close();
  await op.stop();
}
