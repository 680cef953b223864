// The console (GET /) in a real browser: Debian's chromium driven by playwright-core. Runs the
// seed quickstart through the page, checks the table and the drawing (two nodes, one
// relationship), the error display, dragging, the CSP, and saves out/console.png.
// Skipped, with the reason, when /usr/bin/chromium is absent (.ci/run installs it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { startWorker, QUICKSTART, TOKEN, ROOT } from "./harness.mjs";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (install it with: apt-get install chromium)`;
const SCREENSHOT = path.join(ROOT, "out", "console.png");

let w, browser;
before(async () => {
  if (skip) return;
  const { chromium } = await import("playwright-core");
  w = await startWorker();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
after(async () => {
  await browser?.close();
  await w?.close();
});

/** Types a query (and params) into the page, clicks Run and waits for the answer. */
async function run(page, query, params = {}) {
  await page.fill("#query", query);
  await page.fill("#params", JSON.stringify(params));
  await page.click("#run");
  await page.waitForFunction(() => !document.getElementById("run").disabled);
}

const visible = (page, sel) => page.locator(sel).isVisible();

test("console: the quickstart through the page, the table, the graph, an error, the CSP", { skip }, async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const problems = [], requests = [];
  // Errors in the page's console, except the browser's own note on the deliberate 400 below.
  const expected = /^Failed to load resource: the server responded with a status of 400/;
  page.on("console", (m) => {
    if ((m.type() === "error" && !expected.test(m.text())) || /Content.Security.Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => requests.push(r.url()));

  const res = await page.goto(`${w.url}/?ns=console`);
  assert.equal(res.status(), 200);
  const csp = res.headers()["content-security-policy"];
  assert.match(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-/);
  assert.match(csp, /connect-src 'self'/);
  assert.equal(await page.inputValue("#ns"), "console");
  await page.fill("#token", TOKEN);

  // The seed quickstart, one statement per run; the meta line shows what each write did.
  const [alice, bob, knows, people] = QUICKSTART;
  await run(page, alice.query);
  assert.match(await page.textContent("#meta"), /nodes_created 1, labels_added 1, properties_set 2/);
  await run(page, bob.query);
  await run(page, knows.query);
  assert.match(await page.textContent("#meta"), /relationships_created 1, properties_set 1/);
  assert.match(await page.textContent("#meta"), /version 3/);
  await run(page, people.query, people.params);
  assert.equal(await visible(page, "#error"), false);
  assert.deepEqual(await page.locator("#table thead th").allTextContents(), ["name", "age"]);
  const rows = await page.locator("#table tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.sort(), [["Alice", "30"], ["Bob", "25"]]);
  assert.equal(await visible(page, "#graph-panel"), false, "no nodes returned, so no drawing");

  // Whole nodes and the relationship: drawn as two nodes and one relationship.
  await run(page, "MATCH (a:Person)-[k:KNOWS]->(b:Person) RETURN a, k, b");
  assert.equal(await visible(page, "#graph-panel"), true);
  assert.equal(await page.locator("#graph g.node").count(), 2);
  assert.equal(await page.locator("#graph g.node.ghost").count(), 0);
  assert.equal(await page.locator("#graph g.rel").count(), 1);
  assert.equal(await page.getAttribute("#graph g.rel", "data-type"), "KNOWS");
  const titles = await page.locator("#graph g.node title").allTextContents();
  assert.ok(titles.some((t) => t.startsWith(":Person") && t.includes('name: "Alice"') && t.includes("age: 30")), titles.join(" | "));
  const fills = await page.locator("#graph g.node circle").evaluateAll((cs) => cs.map((c) => c.getAttribute("fill")));
  assert.equal(fills[0], fills[1], "same label, same colour");
  assert.deepEqual(await page.locator("#legend").allTextContents(), [":Person"]);
  const cells = await page.locator("#table tbody td").allTextContents();
  assert.deepEqual(cells, ['(:Person {age: 30, name: "Alice"})', '[:KNOWS {since: 2020}]', '(:Person {age: 25, name: "Bob"})']);

  // Drag a node: it follows the pointer.
  await page.waitForTimeout(500);
  const node = page.locator("#graph g.node").first();
  const box = await node.boundingBox();
  const svgBox = await page.locator("#graph").boundingBox();
  const target = { x: svgBox.x + 80, y: svgBox.y + 80 };
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x, target.y, { steps: 8 });
  const moved = await node.boundingBox();
  await page.mouse.up();
  assert.ok(Math.abs(moved.x + moved.width / 2 - target.x) < 6 && Math.abs(moved.y + moved.height / 2 - target.y) < 6,
    `dragged node at ${JSON.stringify(moved)}, wanted its centre at ${JSON.stringify(target)}`);

  // An error: code, message and the position marked in the query.
  await run(page, "MATCH (n) RETURN x");
  assert.equal(await visible(page, "#error"), true);
  assert.equal(await page.textContent("#error-code"), "SyntaxError (HTTP 400)");
  assert.match(await page.textContent("#error-message"), /UndefinedVariable/);
  assert.equal(await page.textContent("#error-where"), "at line 1, column 18");
  assert.equal(await page.textContent("#highlight mark"), "x");

  // The token lives in this tab's sessionStorage only.
  assert.equal(await page.evaluate(() => sessionStorage.getItem("namidb.token")), TOKEN);
  assert.equal(await page.evaluate(() => localStorage.length), 0);

  // The picture: the quickstart graph with its table, after the layout has settled.
  await run(page, "MATCH (a:Person)-[k:KNOWS]->(b:Person) RETURN a, k, b");
  await page.waitForTimeout(4000);
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`screenshot: ${SCREENSHOT}`);

  assert.deepEqual(problems, [], "console errors or CSP violations");
  const origin = new URL(w.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:")), [], "requests off the Worker's origin");
  await page.close();
});

test("console: a wrong token shows Unauthorized; bad parameters are caught before sending", { skip }, async () => {
  const page = await browser.newPage();
  await page.goto(`${w.url}/?ns=console`);
  await page.fill("#token", "wrong");
  await run(page, "RETURN 1");
  assert.equal(await page.textContent("#error-code"), "Unauthorized (HTTP 401)");
  let posts = 0;
  page.on("request", (r) => { if (r.method() === "POST") posts++; });
  await page.fill("#params", "{nope");
  await page.click("#run");
  assert.equal(await page.textContent("#error-code"), "InvalidParameters");
  assert.equal(posts, 0);
  await page.close();
});
