// The ops seat map in a real browser: Debian's chromium, driven by
// playwright-core. Loads /ops/events/EVENT, then holds, reserves and blocks
// seats through the API and checks that each seat's colour changes on the
// page within 2 seconds; saves a screenshot. With keys, the page is opened
// as /ops/events/EVENT#key=CHECKOUT_KEY (the key never goes into a request
// line but as a header, and as the stream's access_token) and the API
// calls carry ADMIN_KEY; the events index /ops/#key= must list the event.
// Usage:
//   node ops_page.mjs BASE_URL EVENT SCREENSHOT.png [CHECKOUT_KEY ADMIN_KEY]
import { chromium } from "playwright-core";

const [base, event, shot, pageKey, adminKey] = process.argv.slice(2);
const api = `${base}/v1/events/${event}`;
const fragment = pageKey ? `#key=${encodeURIComponent(pageKey)}` : "";
const post = (path, body) =>
  fetch(api + path, {
    method: "POST", body: JSON.stringify(body),
    headers: adminKey ? { Authorization: `Bearer ${adminKey}` } : {},
  }).then(async r => [r.status, await r.json()]);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = false;
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failed = true;
}
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  if (pageKey) {
    // the index with the key lists the event (and, without it, cannot)
    await page.goto(`${base}/ops/${fragment}`);
    await page.waitForSelector(`a[href*="${event}"]`, { timeout: 10000 });
    check(true, "the events index lists the event with the key");
  }
  await page.goto(`${base}/ops/events/${event}${fragment}`);
  await page.waitForSelector("body[data-ready='1']", { timeout: 10000 });
  await page.waitForSelector("#live.on", { timeout: 10000 });
  const colour = id => page.$eval(`circle[data-id="${id}"]`, el => getComputedStyle(el).fill);
  const green = await colour("S1-1-1");
  check(green === "rgb(58, 166, 85)", `seats start available (fill ${green})`);
  const n = await page.$$eval("circle", els => els.length);
  check(n === 2000, `the page draws every seat (${n})`);

  // changes made through the API must show within 2 s
  async function within(id, want, what) {
    const t0 = Date.now();
    try {
      await page.waitForFunction(([id, want]) => {
        const el = document.querySelector(`circle[data-id="${id}"]`);
        return el && getComputedStyle(el).fill === want;
      }, [id, want], { timeout: 2000 });
      check(true, `${what} shows in ${Date.now() - t0} ms`);
    } catch (e) {
      check(false, `${what} did not show within 2 s (fill ${await colour(id)})`);
    }
  }
  const [st, hold] = await post("/holds", { seats: ["S1-1-1", "S1-1-2"] });
  check(st === 201, "hold created");
  await within("S1-1-1", "rgb(240, 160, 32)", "a hold (orange)");
  await post(`/holds/${hold.hold_id}/reserve`, { order_id: "browser-1" });
  await within("S1-1-2", "rgb(138, 92, 200)", "a sale (purple)");
  await post("/block", { seats: ["S2-1-1"] });
  await within("S2-1-1", "rgb(154, 160, 166)", "a block (grey)");
  // accessible places are ringed; a general-admission area's counts follow
  const acc = await page.$eval(`circle[data-id="S1-20-25"]`, el => el.getAttribute("class"));
  check(acc.includes("acc"), `an accessible place is marked (${acc})`);
  const [gst] = await post("/holds", { areas: [{ id: "floor", quantity: 3 }] });
  check(gst === 201, "general-admission places held");
  try {
    await page.waitForFunction(() => {
      const tr = document.querySelector("#areas tr[data-area='floor']");
      return tr && tr.textContent === "Floor50049730";
    }, null, { timeout: 2000 });
    check(true, "the area's counts follow the stream");
  } catch (e) {
    check(false, `the area's counts did not follow (${await page.textContent("#areas tbody")})`);
  }
  const label = await page.textContent("#bar-label");
  check(label.startsWith("2 of 2000 sold"), `the sell-out bar counts (${label})`);
  const row = await page.$$eval("#sections tbody tr", trs => trs.map(tr => tr.textContent));
  check(row.some(t => t.startsWith("Section 1500498")), `per-section counts follow (${row[0]})`);
  // hover shows the seat id and status
  const box = await page.$eval(`circle[data-id="S1-1-2"]`, el => { const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; });
  await page.mouse.move(box[0], box[1]);
  const tip = await page.textContent("#tip");
  check(tip === "S1-1-2 · sold", `hover names the seat (${tip})`);
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
  await page.screenshot({ path: shot });
  // an event with a waiting room shows it, and follows it
  const qev = process.env.QUEUE_EVENT;
  if (qev) {
    await page.goto(`${base}/ops/events/${qev}${fragment}`);
    await page.waitForSelector("body[data-ready='1']", { timeout: 10000 });
    const w = await page.textContent("#queue tr[data-queue='waiting']");
    check(w === "waiting3", `the waiting room is shown (${w})`);
    await fetch(`${base}/v1/events/${qev}/queue`, { method: "POST",
      headers: adminKey ? { Authorization: `Bearer ${adminKey}` } : {} });
    try {
      await page.waitForSelector("body[data-waiting='4']", { timeout: 5000 });
      check(true, "the waiting room's figures follow");
    } catch (e) {
      check(false, `the waiting room's figures did not follow (${await page.textContent("#queue")})`);
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
