// Median time of the slider's proof-of-work in the browser (Debian's chromium), read from the
// widget's data-pow-ms after each fresh challenge. Used by `make bench-slider`; prints figures.
import { chromium } from 'playwright';

const base = process.argv[2] ?? 'http://127.0.0.1:3190';
const runs = Number(process.argv[3] ?? 10);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
const times = [];
for (let i = 0; i < runs; i++) {
  await page.goto(`${base}/recover`);
  await page.getByLabel('E-mail').fill(`bench${Date.now()}${i}@example.com`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/\/recover\/check$/);
  const slider = page.locator('.slider[data-pow-ms]');
  await slider.waitFor({ timeout: 30_000 });
  times.push(Number(await slider.getAttribute('data-pow-ms')));
}
await browser.close();
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`  proof-of-work in the browser (${runs} challenges, N = 1,000,000): median ${median} ms, min ${times[0]} ms, max ${times[times.length - 1]} ms`);
