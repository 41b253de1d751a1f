import { test, expect, type Locator, type Page } from '@playwright/test';
import { freshEmail, GOOD_PASSWORD, recoveryCode, signupCode, waitForHydration } from './helpers';

// The journeys with the keyboard only: Tab to move, typing, Enter to submit. No clicks.

/** Presses Tab until `target` has focus (it must be reachable within a few presses). */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 15; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target, 'reachable with Tab').toBeFocused();
}

test('sign up and sign in with the keyboard only', async ({ page }) => {
  const email = freshEmail('keys');
  await page.goto('/register');
  await waitForHydration(page);
  await tabTo(page, page.getByLabel('E-mail'));
  await page.keyboard.type(email);
  await tabTo(page, page.getByLabel('Password', { exact: true }));
  await page.keyboard.type(GOOD_PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/register\/confirm$/);
  // The new step's heading has focus, so the next Tab starts from the top of the step.
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeFocused();
  await tabTo(page, page.getByLabel('Verification code'));
  await page.keyboard.type(await signupCode(page.request, email));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/account$/);
  await tabTo(page, page.getByRole('button', { name: 'Sign out', exact: true }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login\?notice=signed-out$/);

  await tabTo(page, page.getByLabel('E-mail'));
  await page.keyboard.type(email);
  await tabTo(page, page.getByLabel('Password', { exact: true }));
  await page.keyboard.type(GOOD_PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/account$/);
});

test('the whole recovery journey with the keyboard only', async ({ page }) => {
  const email = freshEmail('keys-recover');
  // An account to recover (made through the pages, then signed out).
  await page.goto('/register');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Verification code').fill(await signupCode(page.request, email));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.context().clearCookies();

  await page.goto('/login');
  await waitForHydration(page);
  await tabTo(page, page.getByRole('link', { name: 'Forgot password?' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/recover$/);
  await tabTo(page, page.getByLabel('E-mail'));
  await page.keyboard.type(email);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/recover\/verify$/);
  await tabTo(page, page.getByRole('button', { name: 'Verify now' }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByRole('button', { name: 'Send me a verification code' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/recover\/code$/);
  await expect(page.getByRole('heading', { name: 'Enter the code' })).toBeFocused();
  await tabTo(page, page.getByLabel('Verification code'));
  await page.keyboard.type(await recoveryCode(page.request, email));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/recover\/password$/);
  await tabTo(page, page.getByLabel('New password', { exact: true }));
  await page.keyboard.type('Lighthouse4Meadow');
  await tabTo(page, page.getByLabel('Confirm new password', { exact: true }));
  await page.keyboard.type('Lighthouse4Meadow');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/recover\/done$/);
  await tabTo(page, page.getByRole('link', { name: 'Sign in' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login$/);
});
