// Opens a macsql report in headless Chromium with the network cut off and checks what a reader
// sees: no request leaves the page, no console error, the headline and every section heading are
// rendered, the charts have a size, and sorting a table reorders its rows. Takes a desktop and a
// phone screenshot.
//
//   node tests/browser/check_report.mjs REPORT.html OUT_DIR
//
// Prints one JSON line of results; exits 1 when a check fails. Chromium: $CHROMIUM, else
// /usr/bin/chromium (Debian's `chromium` package).
import { chromium } from "playwright-core";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [report, outDir = "."] = process.argv.slice(2);
if (!report) {
  console.error("usage: node check_report.mjs REPORT.html [OUT_DIR]");
  process.exit(2);
}
const SECTIONS = [
  ["compared", "What was compared"],
  ["headline", "Headline"],
  ["heatmap", "KL divergence heat map"],
  ["asymmetry", "Asymmetry"],
  ["attributes", "Per attribute"],
  ["ranking", "Attributes ranked by divergence"],
  ["subgroups", "Subgroups"],
  ["agreement", "Classifier agreement"],
  ["numbers", "All numbers"],
];
const url = pathToFileURL(path.resolve(report)).href;
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const results = {};
try {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
  const requests = [];
  // Every request other than the page itself is recorded and refused.
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    requests.push(u);
    return route.abort();
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: "load" });

  const headline = (await page.locator("#headline-sentence").textContent()) || "";
  check(/explains the synthetic distributions/.test(headline), `headline sentence: ${headline}`);
  for (const [id, title] of SECTIONS) {
    const h = page.locator(`h2#${id}`);
    const text = (await h.count()) ? (await h.textContent()).trim() : "";
    check(text === title && (await h.isVisible()), `section heading ${id}: '${text}'`);
  }
  const sizes = await page.$$eval("figure.chart svg, svg.dist", (svgs) =>
    svgs.map((s) => { const r = s.getBoundingClientRect(); return [r.width, r.height]; }));
  check(sizes.length >= 3, `charts: ${sizes.length}`);
  check(sizes.every(([w, h]) => w > 0 && h > 0), "every chart has a non-zero size");

  // Sorting: the ranking table by attribute name, then the other way round.
  const names = () => page.$$eval("#ranking-table tbody tr td:nth-child(2)", (tds) => tds.map((t) => t.textContent));
  const before = await names();
  const button = page.locator("#ranking-table thead th:nth-child(2) button");
  await button.click();
  const asc = await names();
  await button.click();
  const desc = await names();
  const sorted = [...before].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  check(JSON.stringify(asc) === JSON.stringify(sorted), "ascending sort by attribute");
  check(JSON.stringify(desc) === JSON.stringify([...sorted].reverse()), "descending sort by attribute");
  check(JSON.stringify(asc) !== JSON.stringify(before), "sorting reordered the rows");
  // A numeric column: rank descending puts the last rank first.
  const rank = page.locator("#ranking-table thead th:nth-child(1) button");
  await rank.click();
  await rank.click();
  const firstRank = await page.$eval("#ranking-table tbody tr td:nth-child(1)", (td) => td.textContent);
  check(firstRank === String(before.length), `descending rank starts at ${before.length}: ${firstRank}`);

  await page.reload({ waitUntil: "load" });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(outDir, "report-desktop.png") });
  await page.evaluate(() => document.getElementById("headline").scrollIntoView());
  await page.screenshot({ path: path.join(outDir, "report-headline.png") });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: path.join(outDir, "report-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(outDir, "report-phone.png") });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `no sideways scrolling on a phone (page is ${overflow}px too wide)`);
  // Printing: the print layout hides navigation and downloads and renders to PDF pages.
  await page.emulateMedia({ media: "print" });
  const printHidden = await page.$eval("nav", (n) => getComputedStyle(n).display === "none");
  check(printHidden, "the print layout hides the navigation");
  const pdf = await page.pdf({ path: path.join(outDir, "report.pdf"), format: "A4" });
  check(pdf.length > 10000, `printed to PDF (${pdf.length} bytes)`);

  Object.assign(results, {
    requests: requests.length,
    requestUrls: requests,
    consoleErrors: consoleErrors.length,
    consoleMessages: consoleErrors,
    sections: SECTIONS.length,
    charts: sizes.length,
    headline,
    pdfBytes: (await import("node:fs")).statSync(path.join(outDir, "report.pdf")).size,
  });
} finally {
  await browser.close();
}
check(results.requests === 0, `requests left the page: ${results.requestUrls}`);
check(results.consoleErrors === 0, `console errors: ${results.consoleMessages}`);
results.failures = failures;
console.log(JSON.stringify(results));
process.exit(failures.length ? 1 : 0);
