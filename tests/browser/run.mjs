// Browser tests of Khiên in real headless Chromium (Debian's /usr/bin/chromium),
// against `khien serve --demo` at KHIEN_URL. Each step asserts what a user sees.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync, statSync, readFileSync } from "node:fs";
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

// A small ZIP (stored, no compression) built here, so the test needs no zip library.
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function makeZip(entries) {
  const locals = []; const centrals = []; let offset = 0;
  for (const [name, text] of entries) {
    const n = Buffer.from(name); const data = Buffer.from(text); const crc = crc32(data);
    const local = Buffer.alloc(30); local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46); central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(n.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, n, data); centrals.push(central, n); offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22); end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10); end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

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
      await Promise.all([page.waitForNavigation(), page.click("#search")]);
      await page.waitForSelector("#systems");
      assert.match(await page.textContent("#result-count"), /^1 /, `query ${q}: ${await page.textContent("#result-count")}`);
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

  await run("a level-3 dossier from draft to approved, each step refused to the wrong role", async () => {
    const pages = {};
    for (const user of ["canbo.stc", "quanly.stc", "thanhtra", "admin"]) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const p = await ctx.newPage();
      p.on("pageerror", (e) => consoleErrors.push(String(e)));
      await p.goto(`${BASE}/login`);
      await p.fill("#username", user);
      await p.fill("#password", PASSWORD);
      await p.click("#login-submit");
      await p.waitForURL(`${BASE}/`);
      pages[user] = p;
    }
    const staff = pages["canbo.stc"], manager = pages["quanly.stc"], inspector = pages["thanhtra"], admin = pages["admin"];
    // The unit's IT officer declares a new citizen service and determines its level.
    const name = `Cổng dịch vụ thuế điện tử ${Date.now()}`;
    await staff.goto(`${BASE}/systems/new`);
    await staff.fill("#name", name);
    await staff.selectOption("#system_type", "citizen_business");
    await staff.selectOption("#status", "building");
    await staff.check("input[name=information_types][value=personal]");
    await staff.fill("#personal_subjects", "25000");
    await staff.click("#save");
    await staff.waitForSelector("#system-name");
    await staff.click("#level-link");
    await staff.selectOption("#regime", "nd85-2016");
    await staff.click("#determine");
    await staff.waitForSelector("#proposed-level");
    assert.match(await staff.textContent("#proposed-level"), /3/);
    assert.match(await staff.textContent("#criteria"), /Điều 9/);
    await staff.click("#create-dossier");
    await staff.waitForSelector("#dossier-status");
    const dossierUrl = staff.url();
    assert.match(await staff.textContent("#dossier-status"), /Đang lập/);
    // The parts, attached by the officer.
    for (const part of ["overview", "design", "level_justification", "security_plan"]) {
      const file = join(work, `${part}.pdf`);
      writeFileSync(file, `%PDF-1.4 ${part}`);
      await staff.setInputFiles(`input[data-part=${part}]`, file);
      await Promise.all([staff.waitForNavigation(), staff.click(`form.upload:has(input[data-part=${part}]) button`)]);
    }
    // A wrong role is refused at each step, even posting the form by hand.
    const refused = async (p, action, form = {}) => {
      await p.goto(dossierUrl);
      const csrf = await p.getAttribute("input[name=_csrf]", "value");
      const r = await p.request.post(`${dossierUrl}/${action}`, { form: { _csrf: csrf, ...form }, maxRedirects: 0 });
      assert.equal(r.status(), 403, `${action} must be refused`);
    };
    const status = async (p, re) => { await p.goto(dossierUrl); assert.match(await p.textContent("#dossier-status"), re); };
    await refused(staff, "submit");
    // Staff are told who sends it on; the manager sees it waiting, and is asked once more.
    await staff.goto(dossierUrl);
    assert.match(await staff.textContent("#handoff"), /quản lý của đơn vị/);
    await manager.goto(dossierUrl);
    assert.match(await manager.textContent("#handoff"), /chờ bạn gửi thẩm định/);
    await Promise.all([manager.waitForNavigation(), manager.click("#act-submit")]);
    assert.match(await manager.textContent("#consequence"), /Sở Khoa học và Công nghệ/);
    await Promise.all([manager.waitForNavigation(), manager.click("#confirm-submit")]);
    await status(manager, /Đã gửi thẩm định/);
    assert.match(await manager.textContent("#deadline"), /ngày/);
    await refused(manager, "start_appraisal");
    await inspector.goto(dossierUrl);
    await Promise.all([inspector.waitForNavigation(), inspector.click("#act-start_appraisal")]);
    await status(inspector, /Đang thẩm định/);
    await refused(manager, "record_appraisal", { appraisal_opinion: "Đạt" });
    await inspector.goto(dossierUrl);
    await inspector.fill("#appraisal-opinion", "Hồ sơ đáp ứng tiêu chí cấp độ 3");
    await Promise.all([inspector.waitForNavigation(), inspector.click("#act-record_appraisal")]);
    await status(inspector, /Đã thẩm định/);
    // The security regulation first, then the decision recorded by an administrator.
    // An impossible date comes back as typed, with the message at the field.
    await staff.goto(dossierUrl);
    await staff.fill("#regulation-number", "15/QĐ-STC");
    await staff.fill("#regulation-date", "29/02/2026");
    await Promise.all([staff.waitForNavigation(), staff.click("#save-regulation")]);
    assert.equal(await staff.inputValue("#regulation-date"), "29/02/2026", "the date as typed");
    assert.equal(await staff.inputValue("#regulation-number"), "15/QĐ-STC", "the number as typed");
    assert.match(await staff.textContent("#err-date"), /Ngày không hợp lệ/);
    assert.match(await staff.textContent("#form-errors"), /Ngày ban hành quy chế/);
    assert.ok(await staff.locator("header nav.menu").isVisible(), "the menu stays");
    const at = await staff.evaluate(() => {
      const f = document.querySelector("#regulation-date").getBoundingClientRect();
      const e = document.querySelector("#err-date").getBoundingClientRect();
      return { dy: e.top - f.bottom, dx: Math.abs(e.left - f.left) };
    });
    assert.ok(at.dy >= 0 && at.dy < 40 && at.dx < 40, `the message is right under the field (${JSON.stringify(at)})`);
    await staff.fill("#regulation-date", "10/11/2026");
    await Promise.all([staff.waitForNavigation(), staff.click("#save-regulation")]);
    const decision = { decision_no: "2345/QĐ-UBND", decision_date: "20/11/2026", decision_by: "Chủ tịch UBND tỉnh" };
    await refused(inspector, "approve", decision);
    await refused(manager, "approve", decision);
    await admin.goto(dossierUrl);
    await admin.fill("#decision-no", decision.decision_no);
    await admin.fill("#decision-date", decision.decision_date);
    await admin.fill("#decision-by", decision.decision_by);
    await Promise.all([admin.waitForNavigation(), admin.click("#act-approve")]);
    assert.match(await admin.textContent("#consequence"), /2345\/QĐ-UBND/);
    await Promise.all([admin.waitForNavigation(), admin.click("#confirm-approve")]);
    await status(admin, /Đã phê duyệt/);
    assert.match(await admin.textContent("#decision"), /2345\/QĐ-UBND, 20\/11\/2026/);
    assert.equal(await admin.locator("#dossier-events tbody tr").count(), 4, "four steps in the history");
    for (const p of Object.values(pages)) await p.context().close();
  });

  await run("upload logs for a threat hunt; it runs in the background", async () => {
    const corpus = process.env.KHIEN_CORPUS;
    assert.ok(corpus, "KHIEN_CORPUS must point at the shared corpus (scripts/test sets it)");
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${BASE}/login`);
    await p.fill("#username", "ungcuu");
    await p.fill("#password", PASSWORD);
    await p.click("#login-submit");
    await p.waitForURL(`${BASE}/`);
    await p.goto(`${BASE}/hunts/new`);
    await p.fill("#title", "Săn tìm dò mật khẩu SSH");
    // Systems are ticked in a list that can be filtered by name, accents ignored.
    const names = await p.$$eval("#systems .pick-list label", (ls) => ls.map((l) => l.textContent.trim()));
    assert.ok(names.length > 0, "the officer's systems are listed");
    if (await p.$("#systems-filter")) {
      const word = names[0].split(/\s+/).slice(-1)[0].normalize("NFD").replace(/[\u0300-\u036f]/g, "");
      await p.fill("#systems-filter", word);
      assert.ok(await p.locator("#systems .pick-list label:visible").count() >= 1);
    }
    await p.locator("#systems .pick-list input[type=checkbox]").first().check();
    assert.match(await p.textContent("#systems legend"), /\(1\)/, "the count of ticked systems shows");
    await p.setInputFiles("#logs", join(corpus, "logs/linux/OpenSSH_2k.log"));
    await Promise.all([p.waitForNavigation(), p.click("#start-hunt")]);
    // The page refreshes itself until the worker is done.
    await p.waitForFunction(() => document.querySelector("#hunt-status")?.textContent.includes("Hoàn tất"), null, { timeout: 60000 });
    assert.equal(await p.textContent("#hunt-events"), "2.000", "counts with thousands separators");
    assert.ok(Number((await p.textContent("#hunt-detections")).replace(/\./g, "")) > 100);
    assert.match(await p.textContent("#by-rule"), /invalid user/i);
    const huntUrl = p.url();
    await p.check("input[name=conclusion][value=suspicious]");
    await Promise.all([p.waitForNavigation(), p.click("#save-conclusion")]);
    // A suspicious hunt opens its incident, and the officer lands on it.
    assert.match(p.url(), /\/incidents\//, "the incident the conclusion opened");
    assert.match(await p.textContent("main"), /Săn tìm dò mật khẩu SSH/);
    await p.goto(huntUrl);
    assert.match(await p.textContent("#conclusion"), /đáng ngờ/);
    await ctx.close();
  });

  await run("on a phone (390 px): sign-in stacked, the menu behind a button, contacts as cards", async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await ctx.newPage();
    await p.goto(`${BASE}/login`);
    const label = await p.$eval("#password", (i) => i.closest("label").getBoundingClientRect().top);
    const input = await p.$eval("#password", (i) => i.getBoundingClientRect());
    assert.ok(input.top > label + 10 && input.width > 300, `the password input sits under its label, full width (${input.width} px)`);
    await p.fill("#username", "canbo.stc");
    await p.fill("#password", PASSWORD);
    await Promise.all([p.waitForNavigation(), p.click("#login-submit")]);
    assert.ok(await p.isVisible("#menu-toggle"), "a menu button on a phone");
    assert.ok(!(await p.isVisible("#main-menu a[href='/hunts']")), "the menu is folded");
    await p.click("#menu-toggle");
    for (const href of ["/", "/units", "/systems", "/levels", "/hunts", "/audit", "/contacts"]) {
      assert.ok(await p.isVisible(`#main-menu a[href='${href}']`), `menu item ${href} reachable`);
    }
    const scrollsSideways = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.ok(!scrollsSideways, "the page does not scroll sideways");
    await p.goto(`${BASE}/contacts`);
    assert.ok(!(await p.isVisible("#contacts thead")), "no table header on a phone: one card per unit");
    assert.ok(!(await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)), "contacts fit the phone");
    assert.match(await p.textContent("#contacts tbody tr:first-child"), /Ủy ban nhân dân tỉnh/, "the province's own point first");
    // A citizen with only a number: digits match whatever the spacing.
    const phone = (await p.textContent("#contacts tbody tr:nth-child(2) a[href^='tel:']")).trim();
    await p.goto(`${BASE}/contacts?q=${encodeURIComponent(phone.replace(/\D/g, "").slice(-6))}`);
    assert.match(await p.textContent("#contacts"), new RegExp(phone.replace(/[.]/g, "\\.")));
    await ctx.close();
  });

  await run("a hunt of Windows logs says what it checked; one that checked nothing cannot be clean", async () => {
    const corpus = process.env.KHIEN_CORPUS;
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${BASE}/login`);
    await p.fill("#username", "ungcuu");
    await p.fill("#password", PASSWORD);
    await p.click("#login-submit");
    await p.waitForURL(`${BASE}/`);
    const hunt = async (title, files, from, to) => {
      await p.goto(`${BASE}/hunts/new`);
      await p.fill("#title", title);
      await p.locator("#systems .pick-list input[type=checkbox]").first().check();
      if (from) { await p.fill("#period_from", from); await p.fill("#period_to", to); }
      await p.setInputFiles("#logs", files);
      await Promise.all([p.waitForNavigation(), p.click("#start-hunt")]);
      await p.waitForFunction(() => document.querySelector("#hunt-status")?.textContent.includes("Hoàn tất"), null, { timeout: 60000 });
    };
    const samples = join(corpus, "evtx/attack_samples");
    await hunt("Săn tìm máy chủ Windows", [join(samples, "Defense_Evasion/DE_1102_security_log_cleared.evtx"), join(samples, "Lateral_Movement/LM_Remote_Service02_7045.evtx")]);
    assert.ok(Number((await p.textContent("#hunt-detections")).replace(/\./g, "")) >= 6, "the built-in pack finds the cleared log and the services");
    assert.equal(await p.locator("#coverage tbody tr").count(), 2, "one coverage row per file");
    assert.match(await p.textContent("#coverage"), /evtx/);
    assert.ok(await p.$("#coverage-ok"));
    assert.match(await p.textContent("#detections"), /\d\d\/\d\d\/\d{4} \d\d:\d\d/, "times as dd/mm/yyyy HH:MM");
    assert.match(await p.textContent("#detections"), /Cao|Trung bình/);
    assert.ok(await p.$("#filter-level option"), "levels are choices");
    await p.screenshot({ path: join(work, "hunt-windows.png"), fullPage: true });
    await hunt("Săn tìm tháng 11", [join(corpus, "logs/linux/OpenSSH_2k.log")], "01/11/2026", "30/11/2026");
    assert.match(await p.textContent("#coverage-warning"), /nằm ngoài khoảng thời gian/);
    assert.ok(await p.isDisabled("#conclude-clean"), "no sign of compromise cannot be chosen");
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "hunt-limited.png"), fullPage: true });
    await ctx.close();
  });

  await run("the province administrator imports a small rule release, sees its counts, disables a rule", async () => {
    const rule = (id, title, needle) => `title: ${title}\nid: ${id}\nstatus: test\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  selection:\n    message|contains: '${needle}'\n  condition: selection\nlevel: high\n`;
    const failed = "9d1f3b2a-7c44-4e0b-8f7e-1a2b3c4d5e02";
    const zip = makeZip([
      ["sigma-demo/version.txt", "r2026-01-15\n"],
      ["sigma-demo/rules/linux/ssh_invalid_user.yml", rule("9d1f3b2a-7c44-4e0b-8f7e-1a2b3c4d5e01", "Đăng nhập SSH bằng tên không tồn tại", "Invalid user")],
      ["sigma-demo/rules/linux/ssh_failed_password.yml", rule(failed, "Sai mật khẩu SSH", "Failed password")],
      ["sigma-demo/rules/linux/broken.yml", "title: Quy tắc hỏng\nlogsource:\n  product: linux\ndetection:\n  selection:\n    a: b\n  condition: selection and nowhere\n"],
    ]);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(`${BASE}/login`);
    await page.fill("#username", "admin");
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("#login-submit")]);
    await page.goto(`${BASE}/rules`);
    await page.evaluate(() => { document.querySelector("#import").open = true; });
    await page.setInputFiles("#rule-files", { name: "sigma_demo.zip", mimeType: "application/zip", buffer: zip });
    await Promise.all([page.waitForNavigation(), page.click("#import-submit")]);
    assert.match(await page.textContent("#import-ok"), /2 tệp quy tắc nạp được, 1 tệp bị bỏ qua/);
    const set = page.locator("#rule-sets tbody tr[data-set]").first();
    assert.match(await set.textContent(), /sigma_demo[\s\S]*r2026-01-15/, "the set shows its version from version.txt");
    assert.match(await page.textContent("#rules"), /nowhere/, "the skipped rule shows its reason");
    if (process.env.KHIEN_SCREENSHOTS) await page.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "rules-imported.png"), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.locator(`#rules tr[data-rule='${failed}'] button`).click()]);
    assert.match(await page.locator(`#rules tr[data-rule='${failed}']`).textContent(), /Đã tắt/);
    await page.selectOption("#rule-filters select[name=state]", "disabled");
    await Promise.all([page.waitForNavigation(), page.click("#rule-filters button")]);
    assert.equal(await page.locator("#rules tbody tr").count(), 1, "one rule disabled");
    await page.goto(`${BASE}/hunts/new`);
    assert.match(await page.textContent("label:has(#library)"), /sigma_demo r2026-01-15 \(1 tệp quy tắc\)/, "the hunt form offers the enabled library rules");
    if (process.env.KHIEN_SCREENSHOTS) await page.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "rules-hunt-form.png"), fullPage: true });
    await ctx.close();
  });

  const signIn = async (user, viewport = { width: 1366, height: 900 }) => {
    const ctx = await browser.newContext({ viewport, acceptDownloads: true });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => consoleErrors.push(String(e)));
    await p.goto(`${BASE}/login`);
    await p.fill("#username", user);
    await p.fill("#password", PASSWORD);
    await Promise.all([p.waitForNavigation(), p.click("#login-submit")]);
    return [ctx, p];
  };
  // Follows a menu link, opening its group first (the menu groups its pages).
  const viaMenu = async (p, id) => {
    const link = p.locator(id);
    if (!(await link.isVisible())) await p.click(`#main-menu details:has(${id}) > summary`);
    await Promise.all([p.waitForNavigation(), link.click()]);
  };

  await run("the menu groups its pages: one group open at a time, every duty's page reachable, the leader's summary", async () => {
    const [ctx, p] = await signIn("admin");
    assert.ok(!(await p.isVisible("#nav-vendors")), "groups start closed");
    await p.click("#menu-duties > summary");
    assert.ok(await p.isVisible("#nav-vendors"), "the duties group opens");
    await p.click("#menu-incidents > summary");
    assert.ok(!(await p.isVisible("#nav-vendors")) && await p.isVisible("#nav-response-plans"), "one group at a time");
    await p.keyboard.press("Escape");
    assert.ok(!(await p.isVisible("#nav-response-plans")), "Escape closes it");
    for (const [id, heading] of [["#nav-vendors", /Bên thứ ba/], ["#nav-training", /tập huấn|Tuyên truyền/i], ["#nav-risks", /Rủi ro|rủi ro/], ["#nav-response-plans", /Phương án|phương án/], ["#nav-leader", /Tóm tắt tình hình an toàn thông tin/]]) {
      await viaMenu(p, id);
      assert.match(await p.textContent("h1"), heading, `${id} opens its page`);
    }
    assert.match(await p.getAttribute("#menu-duties > summary", "class"), /active/, "the group of the page shown is marked");
    assert.match(await p.textContent("#leader-dates"), /Số liệu đến ngày \d{2}\/\d{2}\/\d{4}/);
    assert.ok(await p.locator("#leader-events tr").count() >= 5, "the six months in figures");
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "leader.png"), fullPage: true });
    await ctx.close();
    // A unit's officer: this month's work leads the home page.
    const [uctx, u] = await signIn("canbo.stc");
    assert.match(await u.textContent("#month-title"), /Việc tháng \d{2}\/\d{4}/);
    assert.ok(await u.locator("#month-work li").count() > 0, "the demo unit has work due this month");
    await uctx.close();
  });

  await run("every home page leads with what its user must do, and each group opens the list behind it", async () => {
    const [ctx, p] = await signIn("canbo.stc");
    const queue = await p.locator("#work-queue").boundingBox();
    const kpis = await p.locator(".kpis").first().boundingBox();
    assert.ok(queue && kpis && queue.y < kpis.y, "the queue comes first");
    assert.match(await p.textContent("#work-queue"), /Hệ thống quá 6 tháng chưa săn tìm/);
    await Promise.all([p.waitForNavigation(), p.click("#work-hunt_stale h3 a")]);
    assert.match(p.url(), /\/systems\?hunt=stale/);
    assert.equal(await p.inputValue("#f-hunt"), "stale", "the filter shows what was asked");
    assert.ok(await p.locator("#systems tbody tr td.sec-hunt").count() > 0, "the list shows each system's last hunt");
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "systems-stale.png"), fullPage: true });
    await ctx.close();
    // The department: dossiers waiting for its step, late ones with days late.
    const [actx, a] = await signIn("admin");
    assert.match(await a.textContent("#work-dossiers_ready"), /trễ \d+ ngày/);
    await Promise.all([a.waitForNavigation(), a.click("#kpi-without-level")]);
    assert.match(a.url(), /level=none/);
    if (process.env.KHIEN_SCREENSHOTS) { await a.goto(`${BASE}/`); await a.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "home-admin.png"), fullPage: true }); }
    await actx.close();
    // On a phone the queue fits the screen.
    const [pctx, ph] = await signIn("canbo.stc", { width: 390, height: 844 });
    const box = await ph.locator("#work-queue").boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, "no sideways scrolling");
    if (process.env.KHIEN_SCREENSHOTS) await ph.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "home-phone.png"), fullPage: true });
    await pctx.close();
  });

  await run("the province view answers who is behind: filter, sort, export", async () => {
    const [ctx, p] = await signIn("admin");
    await p.goto(`${BASE}/levels`);
    await p.selectOption("#f-kind", "commune");
    await Promise.all([p.waitForNavigation(), p.click("#province-filters button[type=submit]")]);
    await Promise.all([p.waitForNavigation(), p.click("#province-table thead a:has-text('% đã phê duyệt')")]);
    const names = await p.locator("#province-table tbody tr:not(.total) td:first-child a").allTextContents();
    assert.ok(names.length > 10 && names.every((n) => /^(Xã|Phường)/.test(n)), "communes only");
    const shares = await p.locator("#province-table tbody tr:not(.total) td:nth-child(9)").allTextContents();
    const nums = shares.filter((s) => s.endsWith("%")).map((s) => Number(s.replace("%", "")));
    assert.deepEqual(nums, [...nums].sort((x, y) => x - y), "sorted by the approved share");
    const [download] = await Promise.all([p.waitForEvent("download"), p.click("#province-export")]);
    const file = join(work, "levels.xlsx");
    await download.saveAs(file);
    const rows = XLSX.utils.sheet_to_json(XLSX.readFile(file).Sheets[XLSX.readFile(file).SheetNames[0]], { header: 1 });
    assert.equal(rows[0][0], "Đơn vị");
    assert.equal(rows.length - 2, names.length, "the export has the rows shown, and the total");
    assert.equal(rows[1][0], names[0], "in the same order");
    await ctx.close();
  });

  await run("the audit trail reads as names and tables, hides sign-ins, and verifies its chain", async () => {
    const [ctx, p] = await signIn("admin");
    await p.goto(`${BASE}/audit`);
    await p.check("#f-hide-sign-ins");
    await Promise.all([p.waitForNavigation(), p.click("#audit-filters button[type=submit]")]);
    const actions = await p.locator("#audit tbody tr td:nth-child(4)").allTextContents();
    assert.ok(actions.length > 0 && !actions.includes("Đăng nhập"), "no sign-ins");
    assert.ok(await p.locator("#audit a.object").count() > 0, "objects by name, linked");
    await Promise.all([p.waitForNavigation(), p.click("#verify-button")]);
    for (let i = 0; i < 60 && !/Toàn vẹn/.test(await p.textContent("#verification")); i++) {
      await p.waitForTimeout(500);
      await p.reload();
    }
    assert.match(await p.textContent("#verify-result"), /Toàn vẹn: đã kiểm tra [\d.]+ dòng/);
    await ctx.close();
  });

  await run("a plan is changed in bulk and flags what is met without evidence", async () => {
    const [ctx, p] = await signIn("canbo.stc");
    await p.goto(`${BASE}/systems?level=none`);
    await p.goto(`${BASE}/systems`);
    const links = await p.locator("#systems tbody tr td:first-child a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    let opened = false;
    for (const href of links) {
      await p.goto(`${BASE}${href}/plan`);
      if (await p.$("#bulk-form")) { opened = true; break; }
    }
    assert.ok(opened, "a system of the unit has a plan");
    const boxes = p.locator("#plan-items input[name=key]");
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await p.selectOption("#bulk-status", "met");
    await Promise.all([p.waitForNavigation(), p.click("#bulk-submit")]);
    assert.match(await p.textContent("#plan-done"), /Đã cập nhật 2 yêu cầu/);
    assert.match(await p.textContent("#met-without-evidence"), /chưa có minh chứng/);
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "plan-bulk.png"), fullPage: true });
    await ctx.close();
  });

  await run("a citizen reports an incident from /contacts; the provincial team sees it, a unit does not", async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await ctx.newPage();
    await p.goto(`${BASE}/contacts`);
    await Promise.all([p.waitForNavigation(), p.click("#report-link")]);
    await p.fill("#name", "Nguyễn Văn Dân");
    await p.fill("#contact", "0912 345 678");
    await p.fill("#affected", "Cổng dịch vụ công của tỉnh");
    await p.fill("#description", "Trang chủ cổng dịch vụ công hiện nội dung lạ và đường dẫn tải tệp không rõ nguồn gốc.");
    await p.waitForTimeout(3500); // the form refuses what is sent faster than a person types
    await Promise.all([p.waitForNavigation(), p.click("#send-report")]);
    const reference = (await p.textContent("#reference")).trim();
    assert.match(reference, /^SC-\d{4}-\d{6}$/);
    assert.ok((await p.textContent("#code")).trim().length >= 10, "a follow-up code");
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "report-done-phone.png"), fullPage: true });
    await ctx.close();
    const [tctx, team] = await signIn("ungcuu");
    await team.goto(`${BASE}/incidents`);
    assert.match(await team.textContent("#incidents"), new RegExp(reference));
    await tctx.close();
    const [uctx, unit] = await signIn("canbo.stc");
    await unit.goto(`${BASE}/incidents`);
    assert.doesNotMatch(await unit.textContent("main"), new RegExp(reference), "a unit does not see a citizen's report");
    await uctx.close();
  });

  await run("the ranking answers who is behind, each score opens its obligations, the league table downloads", async () => {
    const [ctx, p] = await signIn("admin");
    await viaMenu(p, "#nav-ranking");
    const rows = p.locator("#ranking-table tbody tr");
    assert.ok(await rows.count() > 10, "every unit of the province");
    const ranks = (await p.locator("#ranking-table tbody tr td:first-child").allTextContents()).map((t) => t.trim()).filter((t) => t !== "—").map(Number);
    assert.ok(ranks.length > 0 && ranks[0] === 1, "ranked from 1");
    assert.deepEqual(ranks, [...ranks].sort((x, y) => x - y), "in rank order");
    assert.match(await p.textContent("#ranking-trend"), /Quý [IV]+\/\d{4}/, "the trend names its quarters");
    const first = p.locator("#ranking-table tbody tr:first-child td:nth-child(2) a");
    const name = (await first.textContent()).trim();
    await Promise.all([p.waitForNavigation(), first.click()]);
    assert.equal((await p.textContent("h1")).trim(), name);
    assert.ok(await p.locator("#unit-lines tbody tr").count() > 0, "the obligations behind the score");
    await p.goto(`${BASE}/ranking`);
    const [download] = await Promise.all([p.waitForEvent("download"), p.click("#ranking-docx")]);
    assert.match(download.suggestedFilename(), /^xep-hang-tuan-thu-\d{4}-q\d\.docx$/);
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "ranking.png"), fullPage: true });
    await ctx.close();
    // On a phone the table scrolls inside its frame, not the page.
    const [pctx, ph] = await signIn("admin", { width: 390, height: 844 });
    await ph.goto(`${BASE}/ranking`);
    const overflow = await ph.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways page scroll (${overflow}px)`);
    if (process.env.KHIEN_SCREENSHOTS) await ph.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "ranking-phone.png"), fullPage: true });
    await pctx.close();
  });

  await run("periodic reports: the province's consolidated table, its XLSX and PDF; a unit's monthly report; a wrong period refused", async () => {
    const [ctx, p] = await signIn("admin");
    await viaMenu(p, "#nav-reports");
    await p.selectOption("#report-kind", "consolidated_quarterly");
    await Promise.all([p.waitForNavigation(), p.click("#report-show")]);
    assert.ok(await p.locator("#report-units tbody tr").count() > 5, "a row per unit with data");
    assert.match(await p.textContent("#report-units tr.total"), /Tổng cộng/);
    assert.match(await p.textContent("#report-coverage"), /không được tính/, "says what it does not count");
    const [xlsx] = await Promise.all([p.waitForEvent("download"), p.click("#report-xlsx")]);
    assert.match(xlsx.suggestedFilename(), /^consolidated-quarterly-\d{4}-q\d\.xlsx$/);
    const [pdf] = await Promise.all([p.waitForEvent("download"), p.click("#report-pdf")]);
    assert.match(pdf.suggestedFilename(), /^consolidated-quarterly-\d{4}-q\d\.pdf$/);
    const head = readFileSync(await pdf.path()).subarray(0, 5).toString();
    assert.equal(head, "%PDF-");
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "reports.png"), fullPage: true });
    await ctx.close();
    const [uctx, u] = await signIn("quanly.stc");
    await u.goto(`${BASE}/reports`);
    const kinds = await u.locator("#report-kind option").evaluateAll((os) => os.map((o) => o.value));
    assert.ok(!kinds.includes("consolidated_quarterly"), "a unit makes no province report");
    await u.selectOption("#report-kind", "monthly_report");
    await Promise.all([u.waitForNavigation(), u.click("#report-show")]);
    assert.match(await u.textContent("#report-preview h2"), /Sở Tài chính/);
    // A quarter for a monthly report: refused, the choice kept.
    const quarter = await u.locator("#report-period option").evaluateAll((os) => os.map((o) => o.value).find((v) => /-Q\d$/.test(v)));
    await u.selectOption("#report-period", quarter);
    await Promise.all([u.waitForNavigation(), u.click("#report-show")]);
    assert.match(await u.textContent("#report-refused"), /không lập cho kỳ quý/);
    assert.equal(await u.inputValue("#report-kind"), "monthly_report");
    await uctx.close();
    const [pctx, ph] = await signIn("admin", { width: 390, height: 844 });
    await ph.goto(`${BASE}/reports?kind=consolidated_quarterly`);
    const overflow = await ph.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways page scroll (${overflow}px)`);
    if (process.env.KHIEN_SCREENSHOTS) await ph.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "reports-phone.png"), fullPage: true });
    await pctx.close();
  });

  await run("response plans: the province's plan due for review; a unit writes its draft, a refused approval names what is missing, its manager records the approval", async () => {
    // dd/mm/yyyy of the Vietnam day `days` from today.
    const vnDate = (days) => {
      const d = new Date(Date.now() + 7 * 3600e3 + days * 86400e3);
      return `${String(d.getUTCDate()).padStart(2, "0")}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${d.getUTCFullYear()}`;
    };
    const [ctx, p] = await signIn("canbo.stc");
    await p.goto(`${BASE}/incidents`);
    await Promise.all([p.waitForNavigation(), p.click("#rplans-link")]);
    assert.match(await p.textContent("#rplans"), /Sắp đến thời hạn rà soát/, "the province's plan is due for review");
    await Promise.all([p.waitForNavigation(), p.click('#rplans tbody tr:has-text("Chưa được phê duyệt") a')]);
    const sections = p.locator('#draft-form textarea[name^="section."]');
    const n = await sections.count();
    assert.ok(n >= 5, `the outline's sections (${n})`);
    for (let i = 0; i < n; i++) await sections.nth(i).fill(`Nội dung mục ${i + 1} của phương án`);
    await p.fill("#priorities", "Khôi phục dịch vụ tiếp nhận hồ sơ trước");
    await p.fill("#review_on", vnDate(365));
    await Promise.all([p.waitForNavigation(), p.click("#draft-save")]);
    assert.equal(await p.inputValue("#priorities"), "Khôi phục dịch vụ tiếp nhận hồ sơ trước", "saved");
    const url = p.url();
    await ctx.close();
    const [mctx, m] = await signIn("quanly.stc");
    await m.goto(url);
    await m.fill("#approver", "Giám đốc Sở Tài chính");
    await m.fill("#decision_no", "45/QĐ-STC");
    await m.fill("#decision_date", vnDate(-1));
    await Promise.all([m.waitForNavigation(), m.click("#approve-save")]);
    assert.match(await m.textContent("#form-errors"), /Chưa ghi đầu mối liên hệ/, "the contacts are missing");
    assert.equal(await m.inputValue("#decision_no"), "45/QĐ-STC", "the approval's input kept");
    await m.fill("#contacts", "Trần Văn B, 0912 345 678");
    await Promise.all([m.waitForNavigation(), m.click("#draft-save")]);
    await m.fill("#approver", "Giám đốc Sở Tài chính");
    await m.fill("#decision_no", "45/QĐ-STC");
    await m.fill("#decision_date", vnDate(-1));
    await Promise.all([m.waitForNavigation(), m.click("#approve-save")]);
    assert.match(await m.textContent("#rplan-approved"), /45\/QĐ-STC/);
    assert.equal(await m.locator("#draft-form").count(), 0, "an approved version is not edited");
    const [docx] = await Promise.all([m.waitForEvent("download"), m.click("#rplan-docx")]);
    assert.match(docx.suggestedFilename(), /^phuong-an-ung-cuu-v1\.docx$/);
    if (process.env.KHIEN_SCREENSHOTS) await m.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "response-plan.png"), fullPage: true });
    await mctx.close();
    const [pctx, ph] = await signIn("admin", { width: 390, height: 844 });
    await ph.goto(`${BASE}/response-plans`);
    const overflow = await ph.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways page scroll (${overflow}px)`);
    if (process.env.KHIEN_SCREENSHOTS) await ph.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "response-plans-phone.png"), fullPage: true });
    await pctx.close();
  });

  await run("the 4-layer model: from the list of systems missing a layer, a hired layer without its provider is refused with the input kept, then saved", async () => {
    const [ctx, p] = await signIn("admin");
    await p.goto(`${BASE}/protection?show=missing`);
    await Promise.all([p.waitForNavigation(), p.click("#protection-table tbody tr:first-child a")]);
    assert.match(await p.textContent("#protection-missing"), /Lớp chưa triển khai/);
    const form = "#layer-monitoring-form";
    await p.click("#layer-monitoring summary");
    await p.selectOption(`${form} select[name=state]`, "in_place");
    await p.selectOption(`${form} select[name=arrangement]`, "hired");
    await p.fill(`${form} input[name=provider]`, "");
    await p.fill(`${form} input[name=contract]`, "HĐ 31/2026/HĐ-SOC");
    await Promise.all([p.waitForNavigation(), p.click("#layer-monitoring-save")]);
    assert.match(await p.textContent("#form-errors"), /Ghi tên doanh nghiệp, tổ chức được thuê/);
    assert.equal(await p.inputValue(`${form} input[name=contract]`), "HĐ 31/2026/HĐ-SOC", "the input kept");
    assert.ok(await p.locator("#layer-monitoring details[open]").count() === 1, "the refused form stays open");
    await p.fill(`${form} input[name=provider]`, "Công ty Giám sát An toàn Tây Nguyên");
    await Promise.all([p.waitForNavigation(), p.click("#layer-monitoring-save")]);
    assert.match(await p.textContent("#layer-monitoring-state"), /Đã triển khai.*Công ty Giám sát An toàn Tây Nguyên.*HĐ 31\/2026\/HĐ-SOC/s);
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "protection-system.png"), fullPage: true });
    await ctx.close();
  });

  await run("backups: an important system's restore test in the future is refused with the input kept; a successful one today takes it off the list of systems behind", async () => {
    const [ctx, p] = await signIn("admin");
    await p.goto(`${BASE}/backups?show=behind`);
    const first = p.locator("#backup-table tbody tr:first-child a");
    const name = (await first.textContent()).trim();
    await Promise.all([p.waitForNavigation(), first.click()]);
    assert.ok(await p.locator("#backup-gaps").count() === 1, "what is behind is said");
    await p.click("#restore-tests summary");
    await p.fill("#tested_on", "01/01/2099");
    await p.selectOption("#outcome", "succeeded");
    await p.fill("#restored", "Khôi phục CSDL sang máy chủ dự phòng");
    await Promise.all([p.waitForNavigation(), p.click("#restore-test-save")]);
    assert.match(await p.textContent("#form-errors"), /Ngày này chưa đến/);
    assert.equal(await p.inputValue("#restored"), "Khôi phục CSDL sang máy chủ dự phòng", "the input kept");
    const d = new Date(Date.now() + 7 * 3600e3);
    await p.fill("#tested_on", `${String(d.getUTCDate()).padStart(2, "0")}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${d.getUTCFullYear()}`);
    if (await p.locator("#backup-plan-form").count() && (await p.inputValue("#backup_scope")) === "") {
      // No plan yet: a restore alone does not make it reliable, so record the plan too.
      await p.fill("#backup_scope", "CSDL nghiệp vụ");
      await p.selectOption("#frequency", "daily");
      await p.fill("#retention_days", "30");
      await Promise.all([p.waitForNavigation(), p.click("#backup-plan-save")]);
      await p.click("#restore-tests summary");
      await p.fill("#tested_on", `${String(d.getUTCDate()).padStart(2, "0")}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${d.getUTCFullYear()}`);
      await p.selectOption("#outcome", "succeeded");
      await p.fill("#restored", "Khôi phục CSDL sang máy chủ dự phòng");
    }
    await Promise.all([p.waitForNavigation(), p.click("#restore-test-save")]);
    assert.ok(await p.locator("#backup-ok").count() === 1, await p.textContent("main"));
    await p.goto(`${BASE}/backups?show=behind`);
    assert.ok(!(await p.textContent("main")).includes(name), `${name} is off the list`);
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "backups.png"), fullPage: true });
    await ctx.close();
  });

  await run("budget: a project approved after 01/07/2026 at 12% is short of 15%, by the exact amount", async () => {
    const [ctx, p] = await signIn("canbo.stc");
    await p.goto(`${BASE}/budget`);
    await p.selectOption("#budget_kind", "project");
    await p.fill("#budget-title", "Dự án số hóa hồ sơ lưu trữ");
    await p.fill("#decision_no", "77/QĐ-STC");
    await p.fill("#approved_on", "15/09/2026");
    await p.fill("#total", "2.000.000.000");
    await p.fill("#security", "1,5 tỷ");
    await Promise.all([p.waitForNavigation(), p.click("#budget-save")]);
    assert.match(await p.textContent("#form-errors"), /Số tiền không hợp lệ/);
    assert.equal(await p.inputValue("#budget-title"), "Dự án số hóa hồ sơ lưu trữ", "the input kept");
    await p.fill("#security", "240.000.000");
    await Promise.all([p.waitForNavigation(), p.click("#budget-save")]);
    const row = p.locator('#budget-table tr:has-text("Dự án số hóa hồ sơ lưu trữ")');
    assert.match(await row.textContent(), /12% \/ tối thiểu 15%.*Còn thiếu 60\.000\.000 đ/s);
    await ctx.close();
  });

  await run("an incident's owed reports download as documents to send", async () => {
    const [ctx, p] = await signIn("ungcuu");
    await p.goto(`${BASE}/incidents?severity=serious`);
    await Promise.all([p.waitForNavigation(), p.click("#incidents tbody tr:first-child a")]);
    const links = p.locator("#deadlines-table a.doc-link");
    assert.ok(await links.count() > 0, "each owed report has its document");
    const [download] = await Promise.all([p.waitForEvent("download"), links.first().click()]);
    assert.match(download.suggestedFilename(), /^sc-\d{4}-\d{6}-[a-z-]+\.docx$/);
    const file = join(work, download.suggestedFilename());
    await download.saveAs(file);
    assert.ok(statSync(file).size > 5000, "a real document");
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "incident-documents.png"), fullPage: true });
    await ctx.close();
  });

  await run("an advisory read from a CVE record reaches exactly the systems running the product", async () => {
    const corpus = process.env.KHIEN_CORPUS;
    assert.ok(corpus, "KHIEN_CORPUS must point at the shared corpus (scripts/test sets it)");
    const [ctx, p] = await signIn("admin");
    await viaMenu(p, "#nav-advisories");
    await Promise.all([p.waitForNavigation(), p.click("#advisory-new")]);
    await p.setInputFiles("#record", join(corpus, "cve", "CVE-2024-3400.json"));
    await Promise.all([p.waitForNavigation(), p.click("#cve-read")]);
    assert.match(await p.inputValue("#products"), /Palo Alto Networks \| PAN-OS \| >= 10\.2\.0, < 10\.2\.9-h1/);
    assert.equal(await p.inputValue("#severity"), "critical");
    await p.fill("#number", "215/CATTT-NCSC");
    await p.fill("#issuer", "Cục An toàn thông tin");
    await p.fill("#deadline", "31/12/2099");
    await Promise.all([p.waitForNavigation(), p.click("#advisory-save")]);
    const rows = p.locator("#matches tbody tr");
    const n = await rows.count();
    assert.ok(n > 0, "the demo's PAN-OS 10.2.9 systems are reached");
    for (const c of await p.locator("#matches tbody tr td:nth-child(3)").allTextContents()) assert.match(c, /PAN-OS 10\.2\.9/, "only the affected product");
    const url = p.url();
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "advisory.png"), fullPage: true });
    await ctx.close();
    // A unit sees only its own systems among those reached.
    const [uctx, u] = await signIn("canbo.stc");
    await u.goto(url);
    const units = (await u.locator("#matches tbody tr td:first-child").allTextContents()).map((t) => t.trim());
    assert.ok(units.every((t) => t === "Sở Tài chính"), `a unit's own rows only: ${units}`);
    await uctx.close();
  });

  await run("a scanner report and its rescan give new, unchanged and fixed; filter by severity; accept a risk with its expiry", async () => {
    const corpus = process.env.KHIEN_CORPUS;
    assert.ok(corpus, "KHIEN_CORPUS must point at the shared corpus (scripts/test sets it)");
    const [ctx, p] = await signIn("quanly.stc");
    await p.goto(`${BASE}/systems`);
    const href = await p.locator("#systems tbody tr:first-child a").first().getAttribute("href");
    const upload = async (name) => {
      await p.goto(`${BASE}${href}/scans`);
      await p.setInputFiles("#report", join(corpus, "scanners", "zap", name));
      await p.check("#full_scope");
      await Promise.all([p.waitForNavigation(), p.click("#start-import")]);
      await p.waitForSelector("#counts", { timeout: 60000 });
      const n = async (id) => Number((await p.textContent(id)).trim());
      return { new: await n("#count-new"), unchanged: await n("#count-unchanged"), fixed: await n("#count-fixed") };
    };
    const first = await upload("zap-results-first-scan.xml");
    assert.ok(first.new > 0 && first.unchanged === 0 && first.fixed === 0, JSON.stringify(first));
    const second = await upload("zap-results-second-scan.xml");
    assert.ok(second.new > 0 && second.unchanged > 0 && second.fixed > 0, JSON.stringify(second));
    await Promise.all([p.waitForNavigation(), p.click("#to-findings")]);
    await p.selectOption("#finding-filters select[name=severity]", "medium");
    await Promise.all([p.waitForNavigation(), p.click("#finding-filters button[type=submit]")]);
    const sev = await p.locator("#findings tbody tr td:first-child").allTextContents();
    assert.ok(sev.length > 0 && sev.every((t) => /Trung bình/.test(t)), `medium only: ${sev.slice(0, 3)}`);
    await Promise.all([p.waitForNavigation(), p.locator("#findings tbody tr:first-child a").first().click()]);
    await p.selectOption("#status", "accepted_risk");
    await p.fill("#reason", "Hệ thống nội bộ, chờ nâng cấp quý sau");
    await p.fill("#approver", "Giám đốc Sở Tài chính");
    // More than a year ahead is refused at the field, the typed reason kept.
    await p.fill("#expires", "31/12/2099");
    await Promise.all([p.waitForNavigation(), p.click("#save-status")]);
    assert.equal(await p.inputValue("#reason"), "Hệ thống nội bộ, chờ nâng cấp quý sau");
    assert.ok(await p.locator("#err-expires").count() > 0, "the message at the expiry");
    const in90 = new Date(Date.now() + 90 * 86400000);
    const dmy = `${String(in90.getDate()).padStart(2, "0")}/${String(in90.getMonth() + 1).padStart(2, "0")}/${in90.getFullYear()}`;
    await p.selectOption("#status", "accepted_risk");
    await p.fill("#approver", "Giám đốc Sở Tài chính");
    await p.fill("#expires", dmy);
    await Promise.all([p.waitForNavigation(), p.click("#save-status")]);
    assert.match(await p.textContent("#finding-status"), /Chấp nhận rủi ro/);
    if (process.env.KHIEN_SCREENSHOTS) await p.screenshot({ path: join(process.env.KHIEN_SCREENSHOTS, "finding-accepted.png"), fullPage: true });
    await ctx.close();
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
