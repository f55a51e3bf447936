// Screenshots for a person to look at: node shot.mjs URL OUT.png WIDTH [user]
import { chromium } from 'playwright-core';
const [url, out, width, user] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: Number(width), height: 800 } });
const base = new URL(url).origin;
if (user) {
  await page.goto(base + '/login');
  await page.fill('#username', user);
  await page.fill('#password', 'Khien@2026!');
  await page.click('#login-submit');
  await page.waitForLoadState('networkidle');
}
await page.goto(url);
await page.screenshot({ path: out, fullPage: !process.env.SHOT_VIEWPORT });
await browser.close();
