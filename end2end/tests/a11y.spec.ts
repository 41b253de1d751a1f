import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expectAccessible } from './axe';
import { freshEmail, GOOD_PASSWORD, recoveryCode, signUp, smsCode, startRecovery, waitForHydration } from './helpers';

test('sign-in, sign-up and account pages have no axe violations', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  await expectAccessible(page, '/login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#field-email-error')).not.toBeEmpty();
  await expectAccessible(page, '/login with errors');

  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('Password', { exact: true }).fill('weak');
  await expectAccessible(page, '/register with the checklist');

  const email = freshEmail('axe');
  await signUp(page, email);
  await expectAccessible(page, '/account');
  await page.goto('/no/such/page');
  await expectAccessible(page, '404');
});

test('every recovery screen has no axe violations', async ({ page }) => {
  const email = freshEmail('axe-recover');
  await signUp(page, email);
  await page.goto('/recover?expired=1');
  await expectAccessible(page, '/recover');
  await startRecovery(page, email);
  await page.getByLabel('Verification code').fill('12a');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.locator('#field-code-error')).not.toBeEmpty();
  await expectAccessible(page, '/recover/code with an error and the countdown');
  await page.getByLabel('Verification code').fill(await recoveryCode(page.request, email));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/password$/);
  await page.getByLabel('New password', { exact: true }).fill('Lighthouse4');
  await expectAccessible(page, '/recover/password');
  await page.getByLabel('New password', { exact: true }).fill('Lighthouse4Meadow');
  await page.getByLabel('Confirm new password', { exact: true }).fill('Lighthouse4Meadow');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).toHaveURL(/\/recover\/done$/);
  await expectAccessible(page, '/recover/done');
  await page.goto('/recover');
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/verify$/);
  await expectAccessible(page, '/recover/verify');
});

test('the SMS screen has no axe violations', async ({ browser }) => {
  const email = freshEmail('axe-sms');
  const phone = `+4477007${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
  const first = await browser.newContext();
  await signUp(await first.newPage(), email, GOOD_PASSWORD, phone);
  await first.close();
  const context = await browser.newContext();
  const page = await context.newPage();
  await startRecovery(page, email);
  await page.getByLabel('Verification code').fill(await recoveryCode(page.request, email));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/sms$/);
  await expectAccessible(page, '/recover/sms before sending');
  await page.getByRole('button', { name: 'Send code by SMS' }).click();
  await smsCode(page.request, phone);
  await expectAccessible(page, '/recover/sms code entry');
  await context.close();
});

test('the checker itself catches a missing label (so a pass means something)', async ({ page }) => {
  await page.goto('/login');
  await page.evaluate(() => document.querySelector('main')!.insertAdjacentHTML('beforeend', '<input type="text">'));
  const results = await new AxeBuilder({ page }).withTags(['wcag2a']).analyze();
  expect(results.violations.map((v) => v.id)).toContain('label');
});

test('the gallery shows every section and has no axe violations', async ({ page }) => {
  await page.goto('/dev/gallery');
  await waitForHydration(page);
  for (const id of ['fields', 'strength', 'checklist', 'alerts', 'buttons', 'destination', 'slider']) {
    await expect(page.locator(`#${id}`)).toBeVisible();
  }
  // The meter fixtures run from 0 to 4.
  for (const score of [0, 1, 2, 3, 4]) {
    await expect(page.locator(`#strength .meter__bar--s${score}`).first()).toBeAttached();
  }
  await expectAccessible(page, '/dev/gallery', ['iframe']);
});
