// Browser tests of Khiên in real headless Chromium (Debian's /usr/bin/chromium),
// against `khien serve --demo` at KHIEN_URL. Each step asserts what a user sees.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import XLSX from "xlsx";

const BASE = process.env.KHIEN_URL ?? "http://127.0.0.1:8080";
const PASSWORD = "Khien@2026!";
const work = mkdtempSync(join(tmpdir(), "khien-browser-"));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const consoleErrors = [];
// Expected 401/422 answers log "Failed to load resource"; anything else (a CSP
// violation, a script error) is a defect.
page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
let step = "";
const run = async (name, fn) => { step = name; const t = Date.now(); await fn(); console.log(`ok   ${name} (${Date.now() - t} ms)`); };

try {
  await run("wrong password is refused, in Vietnamese", async () => {
    await page.goto(`${BASE}/login`);
    await page.fill("#username", "admin");
    await page.fill("#password", "not-the-password");
    await page.click("#login-submit");
    await page.waitForSelector("#login-error");
    assert.match(await page.textContent("#login-error"), /không đúng/);
  });

  await run("sign in", async () => {
    await page.fill("#username", "admin");
    await page.fill("#password", PASSWORD);
    await page.click("#login-submit");
    await page.waitForURL(`${BASE}/`);
    assert.ok(Number(await page.textContent("#kpi-total")) > 300, "the demo province has its systems");
  });

  const unitName = `Trung tâm Thử nghiệm <b>Đắk</b> ${Date.now()}`;
  const unitCode = `TN${Date.now() % 100000}`;
  let unitId = "";
  await run("create a unit", async () => {
    await page.goto(`${BASE}/units`);
    await page.click("#new-unit");
    await page.selectOption("#parent_id", { label: "Ủy ban nhân dân tỉnh Đắk Lắk" });
    await page.fill("#name", unitName);
    await page.fill("#code", unitCode);
    await page.selectOption("#kind", "public_service");
    await page.fill("input[name=report_email]", "suco.tn@daklak.gov.vn");
    await page.click("#save");
    await page.waitForSelector("#unit-name");
    assert.equal(await page.textContent("#unit-name"), unitName, "HTML in the name is shown as typed, not rendered");
    unitId = new URL(page.url()).pathname.split("/").pop();
    await page.goto(`${BASE}/contacts?q=trung+tam+thu+nghiem`);
    assert.match(await page.textContent("#contacts"), /suco\.tn@daklak\.gov\.vn/);
  });

  const systemName = `Hệ thống Quản lý Điều hành Thử nghiệm ${Date.now()}`;
  await run("declare a system (a bad field first)", async () => {
    await page.goto(`${BASE}/systems/new`);
    await page.fill("#name", systemName);
    await page.selectOption("#owner_unit_id", unitId);
    await page.selectOption("#system_type", "citizen_business");
    await page.selectOption("#status", "operating");
    await page.fill("#go_live_date", "01/07/2025");
    await page.fill("#ip_ranges", "10.9.0.0/40");
    await page.click("#save");
    await page.waitForSelector("#form-errors");
    assert.match(await page.textContent("#form-errors"), /Dải địa chỉ IP/);
    await page.fill("#ip_ranges", "10.9.0.0/24");
    await page.click("#save");
    await page.waitForSelector("#system-name");
    assert.equal(await page.textContent("#system-name"), systemName);
    assert.match(await page.textContent("body"), /01\/07\/2025/);
  });

  await run("search with and without diacritics", async () => {
    for (const q of ["Điều hành Thử nghiệm", "dieu hanh thu nghiem", "DIEU HANH THU NGHIEM"]) {
      await page.goto(`${BASE}/systems`);
      await page.fill("#q", q);
      await page.click("#search");
      await page.waitForSelector("#systems");
      assert.match(await page.textContent("#result-count"), /^1 /, `query ${q}`);
      assert.match(await page.textContent("#systems"), new RegExp(systemName));
    }
  });

  await run("import an XLSX with one bad row: error at that row, nothing imported", async () => {
    await page.goto(`${BASE}/systems?q=nhap+excel+thu`);
    assert.match(await page.textContent("#result-count"), /^0 /);
    const rows = [
      ["Tên", "Mã đơn vị chủ quản", "Loại hệ thống", "Trạng thái", "Ngày đưa vào vận hành", "Dải địa chỉ IP"],
      ["Nhập Excel thử một", unitCode, "Phục vụ hoạt động nội bộ", "Đang vận hành", "15/01/2024", "10.8.0.0/24"],
      ["Nhập Excel thử hai", unitCode, "internal", "operating", "15/13/2024", "10.8.1.0/24"],
      ["Nhập Excel thử ba", unitCode, "internal", "planning", "", ""],
    ];
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), "He thong");
    const bad = join(work, "he-thong-loi.xlsx");
    XLSX.writeFile(wb, bad);
    await page.goto(`${BASE}/systems/import`);
    await page.setInputFiles("#file", bad);
    await page.click("#import-submit");
    await page.waitForSelector("#import-errors");
    const cells = await page.$$eval("#import-errors tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(cells.map((c) => [c[0], c[1]]), [["3", "Ngày đưa vào vận hành"]]);
    await page.goto(`${BASE}/systems?q=nhap+excel+thu`);
    assert.match(await page.textContent("#result-count"), /^0 /, "nothing imported");
    // A file that is not a workbook gets a clear message.
    const fake = join(work, "khong-phai.xlsx");
    writeFileSync(fake, "Tên,Mã\nA,B\n");
    await page.goto(`${BASE}/systems/import`);
    await page.setInputFiles("#file", fake);
    await page.click("#import-submit");
    await page.waitForSelector("#import-error");
    assert.match(await page.textContent("#import-error"), /không phải là bảng tính Excel/);
    // Fixed, it imports.
    rows[2][4] = "15/12/2024";
    const wb2 = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb2, XLSX.utils.aoa_to_sheet(rows), "He thong");
    const good = join(work, "he-thong.xlsx");
    XLSX.writeFile(wb2, good);
    await page.goto(`${BASE}/systems/import`);
    await page.setInputFiles("#file", good);
    await page.click("#import-submit");
    await page.waitForSelector("#import-ok");
    assert.match(await page.textContent("#import-ok"), /Đã nhập 3 hệ thống/);
  });

  await run("switch language", async () => {
    await page.goto(`${BASE}/systems`);
    await page.click("a.lang");
    await page.waitForURL(`${BASE}/systems`);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.match(await page.textContent("h1"), /Information systems/);
    await page.click("a.lang");
    assert.equal(await page.getAttribute("html", "lang"), "vi");
    assert.match(await page.textContent("h1"), /Hệ thống thông tin/);
  });

  await run("sign out", async () => {
    await page.click("#logout");
    await page.waitForURL(`${BASE}/login`);
    await page.goto(`${BASE}/systems`);
    await page.waitForURL(`${BASE}/login`);
  });

  await run("a unit user sees only its unit", async () => {
    await page.fill("#username", "canbo.stc");
    await page.fill("#password", PASSWORD);
    await page.click("#login-submit");
    await page.waitForURL(`${BASE}/`);
    await page.goto(`${BASE}/systems?q=thu+nghiem`);
    assert.match(await page.textContent("#result-count"), /^0 /, "another unit's systems are invisible");
    await page.screenshot({ path: join(work, "dashboard.png") });
  });

  assert.deepEqual(consoleErrors, [], "no console errors (CSP violations would show here)");
  console.log("browser tests passed");
} catch (e) {
  console.error(`FAILED at step "${step}": ${e.stack ?? e}`);
  await page.screenshot({ path: "failure.png" }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
