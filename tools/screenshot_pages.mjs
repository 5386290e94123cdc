// Full-page screenshots of every built page of the book (make check-book).
// Fails (exit 1) when a page cannot be loaded or captured, prints in-page errors, and fails
// when a page requests anything outside book/_build/html (the book must read offline).
// Usage: node tools/screenshot_pages.mjs <html root> <output folder>
import { chromium } from "playwright-core";
import { readdirSync, statSync, mkdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

const [root, out] = process.argv.slice(2).map((p) => resolve(p));
mkdirSync(out, { recursive: true });

function pages(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name.startsWith("_") ? [] : pages(path);
    return name.endsWith(".html") ? [path] : [];
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
let failures = 0;
for (const file of pages(root).sort()) {
  const name = relative(root, file).split(sep).join("_").replace(/\.html$/, ".png");
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on("pageerror", (err) => problems.push(`script error: ${err.message}`));
  page.on("console", (msg) => { if (msg.type() === "error") problems.push(`console error: ${msg.text()}`); });
  page.on("request", (req) => {
    if (!req.url().startsWith("file:") && !req.url().startsWith("data:")) problems.push(`loads from the web: ${req.url()}`);
  });
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: 30000 });
    await page.waitForTimeout(1500); // MathJax typesets after load
    const raw = await page.evaluate(() => document.body.innerText.match(/\\\(|\\\[/g)?.length ?? 0);
    if (raw) problems.push(`${raw} equation(s) left as raw LaTeX`);
    await page.screenshot({ path: join(out, name), fullPage: true });
  } catch (err) {
    problems.push(`cannot be captured: ${err.message}`);
  }
  await page.close();
  const fatal = problems.filter((p) => p.startsWith("cannot") || p.startsWith("loads") || p.includes("raw LaTeX"));
  failures += fatal.length ? 1 : 0;
  console.log(`${fatal.length ? "FAIL" : "ok  "} ${name}${problems.length ? "\n     " + problems.join("\n     ") : ""}`);
}
await browser.close();
if (failures) {
  console.error(`${failures} page(s) failed`);
  process.exit(1);
}
