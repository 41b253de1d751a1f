import { test, expect, type Page } from '@playwright/test';
import { freshEmail, signUp, startRecovery, waitForHydration } from './helpers';

// The Content-Security-Policy lets the app's own script and WebAssembly run and nothing else:
// the pages hydrate with no violation reported, and a script injected into the page is refused.

function watchViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') seen.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
  return seen;
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
}

test('pages hydrate under the policy with nothing refused', async ({ page }) => {
  const seen = watchViolations(page);
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  for (const path of ['/login', '/register', '/recover']) {
    await page.goto(path);
    await expect(page.locator('html[data-hydrated]')).toBeAttached();
    expect(await violations(page), path).toEqual([]);
  }
  const email = freshEmail('csp');
  await signUp(page, email);
  await startRecovery(page, email);
  expect(await violations(page), '/recover/code').toEqual([]);
  expect(seen).toEqual([]);
});

test('an injected inline script does not run', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  const ran = await page.evaluate(async () => {
    const w = window as unknown as { injected?: boolean };
    const s = document.createElement('script');
    s.textContent = 'window.injected = true';
    document.body.appendChild(s);
    const img = document.createElement('img');
    img.setAttribute('src', 'x');
    img.setAttribute('onerror', 'window.injected = true');
    document.body.appendChild(img);
    await new Promise((r) => setTimeout(r, 200));
    return w.injected === true;
  });
  expect(ran).toBe(false);
});

test("the app's files come compressed, are kept, and are only sent again when they changed", async ({ request }) => {
  for (const file of ['/pkg/rekey.js', '/pkg/rekey.wasm', '/pkg/rekey.css']) {
    const first = await request.get(file, { headers: { 'Accept-Encoding': 'br' } });
    expect(first.status(), file).toBe(200);
    expect(first.headers()['content-encoding'], file).toBe('br');
    expect(first.headers()['cache-control'], file).toBe('no-cache');
    const modified = first.headers()['last-modified'];
    expect(modified, file).toBeTruthy();
    const again = await request.get(file, { headers: { 'Accept-Encoding': 'br', 'If-Modified-Since': modified } });
    expect(again.status(), file).toBe(304);
    expect((await again.body()).length, file).toBe(0);
  }
  const missing = await request.get('/pkg/no-such-file.js');
  expect(missing.status()).toBe(404);
});
