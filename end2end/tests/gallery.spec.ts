import { test, expect, type Page } from '@playwright/test';
import { expectAccessible } from './axe';

// Every screen state of the gallery, at a phone and a desktop width and in the dark scheme:
// no axe violations, and the same pixels as the screenshot stored in end2end/snapshots/
// (`make snapshots` re-takes them after a deliberate change of look).

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 860 };

/** The state addresses the gallery lists (its own list, so a new state is covered at once). */
async function states(page: Page): Promise<string[]> {
  await page.goto('/dev/gallery');
  return page.locator('#screens .gallery__frame').evaluateAll((els) => els.map((e) => e.id));
}

/** Opens one state and waits until it is hydrated and has settled. */
async function open(page: Page, slug: string, lang = '') {
  await page.goto(`/dev/gallery/${slug}${lang ? `?lang=${lang}` : ''}`);
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

const variants = [
  { name: 'phone', viewport: PHONE, scheme: 'light' as const, axe: true },
  { name: 'desktop', viewport: DESKTOP, scheme: 'light' as const, axe: false },
  { name: 'phone-dark', viewport: PHONE, scheme: 'dark' as const, axe: true },
];

for (const v of variants) {
  test(`every gallery state: ${v.name} screenshots${v.axe ? ' and axe' : ''}`, async ({ page }) => {
    test.setTimeout(240_000);
    const slugs = await states(page);
    expect(slugs.length).toBeGreaterThan(40);
    await page.setViewportSize(v.viewport);
    await page.emulateMedia({ colorScheme: v.scheme, reducedMotion: 'reduce' });
    for (const slug of slugs) {
      await test.step(slug, async () => {
        await open(page, slug);
        if (v.axe) await expectAccessible(page, `gallery ${slug} (${v.name})`);
        await expect.soft(page).toHaveScreenshot(`${slug}-${v.name}.png`, { fullPage: true });
      });
    }
  });
}

test('the gallery states show what their names say', async ({ page }) => {
  await open(page, 'code-wrong');
  await expect(page.getByText('That code is wrong. 3 tries left.')).toBeVisible();
  await open(page, 'code-sent');
  await expect(page.getByRole('button', { name: 'Resend code in 42 s' })).toBeDisabled();
  // Too soon: the alert leaves the seconds to the button, which counts them down.
  await open(page, 'code-cooldown');
  await expect(page.getByText('Please wait before asking for another code: the button below says how long.')).toBeVisible();
  await expect(page.getByText(/Please wait \d+ seconds?/)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Resend code in 42 s' })).toBeDisabled();
  await open(page, 'code-dead');
  await expect(page.getByText('That code can no longer be used. Send yourself a new code below.')).toBeVisible();
  await expect(page.getByText('A new code replaces the old one.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Resend code' })).toBeEnabled();
  await open(page, 'slider-passed');
  await expect(page.locator('.slider--passed')).toBeVisible();
  await expect(page.getByRole('slider')).toHaveAttribute('aria-valuenow', '100');
  await open(page, 'slider-dragging');
  await expect(page.locator('.slider--dragging')).toBeVisible();
  await open(page, 'slider-focused');
  await expect(page.getByRole('slider')).toBeFocused();
  await open(page, 'password-partly');
  await expect(page.getByLabel('New password', { exact: true })).toHaveValue('tangerine');
  await expect(page.locator('.checklist__item--met').first()).toBeVisible();
  await expect(page.locator('.checklist__item:not(.checklist__item--met)').first()).toBeVisible();
  await open(page, 'sms-send');
  await expect(page.getByRole('button', { name: 'Send code by SMS' })).toBeVisible();
  await open(page, 'login-submitting');
  await expect(page.getByRole('button', { name: 'Sign in' })).toHaveAttribute('aria-busy', 'true');
  // Nothing in the gallery asks the server for data: no server-function calls at all.
  const calls: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/api/')) calls.push(r.url()); });
  for (const slug of ['login-slider', 'slider-idle', 'code-sent', 'password-met', 'confirm-empty', 'register-met']) {
    await open(page, slug);
  }
  expect(calls).toEqual([]);
  // The theme switch of the gallery.
  await page.goto('/dev/gallery/done?theme=dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('the gallery index frames every state and every message', async ({ page }) => {
  await page.goto('/dev/gallery');
  const frames = page.locator('#screens iframe');
  expect(await frames.count()).toBeGreaterThan(40);
  for (const name of ['recovery_code', 'recovery_unknown', 'password_changed', 'signup_code', 'signup_exists', 'sms']) {
    await expect(page.locator(`#mail-${name} iframe`)).toHaveAttribute('src', `/dev/mail/${name}?lang=en`);
    const res = await page.request.get(`/dev/mail/${name}`);
    expect(res.status()).toBe(200);
  }
  const mail = await page.request.get('/dev/mail/recovery_code');
  expect(await mail.text()).toContain('482913');
  const sms = await page.request.get('/dev/mail/sms');
  expect(await sms.text()).toContain('482913 is your');
  expect((await page.request.get('/dev/mail/nope')).status()).toBe(404);
  await page.goto('/dev/gallery?theme=dark');
  await expect(page.locator('#screens iframe').first()).toHaveAttribute('src', /theme=dark$/);
  await expect(page.getByRole('link', { name: 'Light scheme' })).toBeVisible();
});

// Any state in any language: `?lang=` on a state, or the language links of the index.
test('the gallery shows any state in any language, Arabic mirrored', async ({ page }) => {
  await page.goto('/dev/gallery?lang=ar');
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.locator('#screens iframe').first()).toHaveAttribute('src', /\?lang=ar/);
  await expect(page.locator('#mail-recovery_code iframe')).toHaveAttribute('src', '/dev/mail/recovery_code?lang=ar');
  await page.setViewportSize(PHONE);
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  for (const [slug, lang] of [
    ['code-wrong', 'ar'],
    ['slider-dragging', 'ar'],
    ['password-partly', 'ru'],
    ['activity', 'zh'],
  ]) {
    await test.step(`${slug} in ${lang}`, async () => {
      await open(page, slug, lang);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expect(page.locator('h1')).not.toHaveText(/[A-Za-z]{4}/);
      await expectAccessible(page, `gallery ${slug} (${lang})`);
      await expect.soft(page).toHaveScreenshot(`${slug}-phone-${lang}.png`, { fullPage: true });
    });
  }
  const mail = await page.request.get('/dev/mail/recovery_code?lang=zh');
  expect(await mail.text()).toContain('lang="zh"');
  const sms = await page.request.get('/dev/mail/sms?lang=ru');
  expect(await sms.text()).toContain('482913');
});
