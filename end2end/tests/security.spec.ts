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

test("the app's files are named by their content, kept for good, and come compressed", async ({ page, request }) => {
  await page.goto('/login');
  const files = await page.evaluate(() =>
    ['link[rel=modulepreload]', 'link[rel=preload][as=fetch]', 'link#leptos[rel=stylesheet]'].map(
      (selector) => document.querySelector(selector)?.getAttribute('href') ?? '',
    ),
  );
  // `make build` names each file by a hash of its content (cargo-leptos: MD5, base64url).
  expect(files).toEqual([
    expect.stringMatching(/^\/pkg\/rekey\.[\w-]{22}\.js$/),
    expect.stringMatching(/^\/pkg\/rekey\.[\w-]{22}\.wasm$/),
    expect.stringMatching(/^\/pkg\/rekey\.[\w-]{22}\.css$/),
  ]);
  const forGood = 'public, max-age=31536000, immutable';
  for (const file of files) {
    const first = await request.get(file, { headers: { 'Accept-Encoding': 'br' } });
    expect(first.status(), file).toBe(200);
    expect(first.headers()['content-encoding'], file).toBe('br');
    expect(first.headers()['cache-control'], file).toBe(forGood);
    // A browser that asks anyway (a forced reload) gets a 304 without the body.
    const modified = first.headers()['last-modified'];
    expect(modified, file).toBeTruthy();
    const again = await request.get(file, { headers: { 'Accept-Encoding': 'br', 'If-Modified-Since': modified } });
    expect(again.status(), file).toBe(304);
    expect(again.headers()['cache-control'], file).toBe(forGood);
    expect((await again.body()).length, file).toBe(0);
  }
  // Nothing answers under the plain names, so no page can load a stale file by them.
  for (const plain of ['/pkg/rekey.js', '/pkg/rekey.wasm', '/pkg/rekey.css', '/pkg/no-such-file.js']) {
    const missing = await request.get(plain);
    expect(missing.status(), plain).toBe(404);
    expect(missing.headers()['cache-control'], plain).toBe('no-cache');
  }
  // The icon keeps its name from one release to the next: kept, but asked for each time.
  const icon = await request.get('/favicon.svg');
  expect(icon.status()).toBe(200);
  expect(icon.headers()['cache-control']).toBe('no-cache');
});
