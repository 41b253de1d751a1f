import { test, expect, type Browser, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freshEmail, masked, recoveryCode, signUp } from './helpers';

// The words come from the same translation files the app is built from, so these tests check
// that each page really shows its language's words, not a copy of them.
type Words = Record<string, unknown>;
function words(lang: string): Words {
  const file = path.resolve(__dirname, '../../texts/locales', `${lang}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Words;
}
function t(w: Words, key: string, vars: Record<string, string> = {}): string {
  const value = key.split('.').reduce<unknown>((node, k) => (node as Words)[k], w);
  if (typeof value !== 'string') throw new Error(`no key ${key}`);
  return value
    .replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => vars[name] ?? '')
    .replace(/<\/?[ab]>/g, '');
}

const NEW_PASSWORD = 'Lighthouse4Meadow';

async function inLanguage(browser: Browser, locale: string): Promise<Page> {
  const context = await browser.newContext({ locale });
  return context.newPage();
}

/** The forgot-password journey in the language the browser asks for. */
async function journey(page: Page, lang: string, dir: 'ltr' | 'rtl') {
  const w = words(lang);
  const email = freshEmail(`i18n-${lang}`);
  await signUp(page, email); // in English: this browser context asks for English

  const shopper = await inLanguage(page.context().browser()!, lang === 'zh' ? 'zh-CN' : lang);
  await shopper.goto('/recover');
  await expect(shopper.locator('html')).toHaveAttribute('lang', lang);
  await expect(shopper.locator('html')).toHaveAttribute('dir', dir);
  await expect(shopper.getByRole('heading', { name: t(w, 'recover.start.title') })).toBeVisible();
  if (test.info().project.use.javaScriptEnabled) {
    // Hydration draws the same words: no flash of English once the WebAssembly takes over.
    await expect(shopper.locator('html[data-hydrated]')).toBeAttached();
    await expect(shopper.locator('html')).toHaveAttribute('lang', lang);
    await expect(shopper.getByRole('heading', { name: t(w, 'recover.start.title') })).toBeVisible();
    await expect(shopper.getByRole('button', { name: t(w, 'recover.start.submit') })).toBeVisible();
  }
  await shopper.getByLabel(t(w, 'field.email'), { exact: true }).fill(email);
  await shopper.getByRole('button', { name: t(w, 'recover.start.submit') }).click();
  await expect(shopper).toHaveURL(/\/recover\/verify$/);
  await expect(shopper.getByRole('heading', { name: t(w, 'recover.verify.title') })).toBeVisible();
  await shopper.getByRole('button', { name: t(w, 'recover.verify.now') }).click();
  await shopper.getByRole('button', { name: t(w, 'recover.verify.send') }).click();
  await expect(shopper).toHaveURL(/\/recover\/code$/);
  await expect(shopper.getByRole('heading', { name: t(w, 'recover.code.title_email') })).toBeVisible();
  await expect(shopper.getByText(masked(email))).toBeVisible();

  // The e-mail is written in the language the journey was started in.
  const res = await shopper.request.get(`/dev/outbox.json?to=${encodeURIComponent(email)}`);
  const mails = (await res.json()) as { subject: string; text: string }[];
  const code = await recoveryCodeIn(shopper, email, w);
  expect(mails.length).toBeGreaterThan(0);

  await shopper.getByLabel(t(w, 'field.code'), { exact: true }).fill(code === '111111' ? '222222' : '111111');
  await shopper.getByRole('button', { name: t(w, 'recover.code.submit') }).click();
  // Plural rules: 4 tries left, in this language's own form for 4.
  await expect(shopper.locator('#field-code-error')).not.toHaveText('');
  await expect(shopper.locator('#field-code-error')).not.toContainText('tries left');
  await shopper.getByLabel(t(w, 'field.code'), { exact: true }).fill(code);
  await shopper.getByRole('button', { name: t(w, 'recover.code.submit') }).click();
  await expect(shopper).toHaveURL(/\/recover\/password$/);
  await expect(shopper.getByRole('heading', { name: t(w, 'recover.password.title') })).toBeVisible();
  await shopper.getByLabel(t(w, 'field.new_password'), { exact: true }).fill(NEW_PASSWORD);
  await shopper.getByLabel(t(w, 'field.confirm_password'), { exact: true }).fill(NEW_PASSWORD);
  await shopper.getByRole('button', { name: t(w, 'recover.password.submit') }).click();
  await expect(shopper).toHaveURL(/\/recover\/done$/);
  await expect(shopper.getByRole('heading', { name: t(w, 'recover.done.title') })).toBeVisible();
  await shopper.context().close();
}

/** The code of the newest e-mail to `to`, checking its subject is in the words `w`. */
async function recoveryCodeIn(page: Page, to: string, w: Words): Promise<string> {
  const subjectStart = t(w, 'mail.recovery_code.subject', { code: 'CODE', shop: 'SHOP' })
    .split(/CODE|SHOP/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)[0];
  let found: { subject: string; text: string } | undefined;
  await expect
    .poll(
      async () => {
        const res = await page.request.get(`/dev/outbox.json?to=${encodeURIComponent(to)}`);
        const mails = (await res.json()) as { subject: string; text: string }[];
        found = mails.find((m) => m.subject.includes(subjectStart));
        return found !== undefined;
      },
      { message: `a recovery e-mail to ${to} whose subject has "${subjectStart}"`, timeout: 10_000 },
    )
    .toBe(true);
  const code = found!.text.match(/\b(\d{6})\b/)?.[1];
  expect(code).toBeTruthy();
  return code!;
}

test('the recovery journey in Chinese, chosen by the browser @nojs', async ({ page }) => {
  await journey(page, 'zh', 'ltr');
});

test('the recovery journey in Arabic, right to left @nojs', async ({ page }) => {
  await journey(page, 'ar', 'rtl');
});

test('switching language mid-journey keeps the flow; its e-mails stay in the first language @nojs', async ({
  page,
}) => {
  const email = freshEmail('i18n-switch');
  await signUp(page, email);
  await page.context().clearCookies();
  const en = words('en');
  const fr = words('fr');
  await page.goto('/recover');
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Verify now' }).click();
  await page.getByRole('button', { name: 'Send me a verification code' }).click();
  await expect(page).toHaveURL(/\/recover\/code$/);
  const code = await recoveryCode(page.request, email);

  // The language menu: a disclosure of links, each named in its own language.
  await page.locator('.lang-menu summary').click();
  await page.getByRole('link', { name: t(fr, 'language.name') }).click();
  await expect(page).toHaveURL(/\/recover\/code$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByRole('heading', { name: t(fr, 'recover.code.title_email') })).toBeVisible();

  await page.getByLabel(t(fr, 'field.code'), { exact: true }).fill(code);
  await page.getByRole('button', { name: t(fr, 'recover.code.submit') }).click();
  await expect(page).toHaveURL(/\/recover\/password$/);
  await expect(page.getByRole('heading', { name: t(fr, 'recover.password.title') })).toBeVisible();

  // The choice is remembered over the browser's own language, on every page.
  await page.goto('/login');
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByRole('heading', { name: t(fr, 'login.title') })).toBeVisible();
  // …and English is one click away again.
  await page.locator('.lang-menu summary').click();
  await page.getByRole('link', { name: t(en, 'language.name') }).click();
  await expect(page.getByRole('heading', { name: t(en, 'login.title') })).toBeVisible();
});

test('the language link only sends the browser back to this site', async ({ request }) => {
  const away = await request.get('/lang/ar?back=//evil.example/x', { maxRedirects: 0 });
  expect(away.status()).toBe(303);
  expect(away.headers()['location']).toBe('/');
  expect(away.headers()['set-cookie']).toContain('rekey_lang=ar');
  const unknown = await request.get('/lang/xx?back=/login', { maxRedirects: 0 });
  expect(unknown.status()).toBe(404);
});
