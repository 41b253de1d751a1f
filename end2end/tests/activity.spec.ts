import { test, expect } from '@playwright/test';
import {
  freshEmail,
  GOOD_PASSWORD,
  recoveryCode,
  signIn,
  signUp,
  startRecovery,
  waitForMessage,
} from './helpers';

const NEW_PASSWORD = 'Lighthouse4Meadow';

// Runs hydrated and with JavaScript off (@nojs).
test('"This wasn\'t me": a reset in one browser, secured from the e-mail in another, signs the first out @nojs', async ({
  page,
  browser,
}) => {
  const email = freshEmail('wasntme');
  await signUp(page, email);

  // Someone resets the password in this browser and signs in with it.
  await startRecovery(page, email);
  await page.getByLabel('Verification code').fill(await recoveryCode(page.request, email));
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).toHaveURL(/\/recover\/done$/);
  await signIn(page, email, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/account$/);

  // The owner opens "This wasn't me" from the e-mail in another browser.
  const notice = await waitForMessage(page.request, email, /password was changed/);
  const link = notice.text.match(/https?:\/\/\S+\/wasnt-me\?token=\S+/)?.[0];
  expect(link, 'the e-mail carries the link').toBeTruthy();
  const owner = await browser.newContext();
  const ownerPage = await owner.newPage();
  await ownerPage.goto(new URL(link!).pathname + new URL(link!).search);
  await expect(ownerPage.getByRole('heading', { name: "Wasn't you? Let's secure your account" })).toBeVisible();
  await expect(ownerPage.getByText('the password of your account was changed')).toBeVisible();
  // Opening the page changed nothing: the first browser is still signed in.
  await page.reload();
  await expect(page).toHaveURL(/\/account$/);

  await ownerPage.getByRole('button', { name: 'Secure my account' }).click();
  await expect(ownerPage).toHaveURL(/\/recover\/verify\?secured=1$/);
  await expect(ownerPage.getByRole('status')).toContainText('every device was signed out');
  await expect(ownerPage.getByRole('heading', { name: 'Verify your identity' })).toBeVisible();

  await page.goto('/account');
  await expect(page).toHaveURL(/\/login$/);

  // The link works once.
  await ownerPage.goto(new URL(link!).pathname + new URL(link!).search);
  await expect(ownerPage.getByRole('heading', { name: "This link can't be used" })).toBeVisible();
  await owner.close();
});

test('the account lists signed-in browsers; "Sign out" ends the other; activity shows it @nojs', async ({
  page,
  browser,
}) => {
  const email = freshEmail('sessions');
  await signUp(page, email);
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, email, GOOD_PASSWORD);
  await expect(otherPage).toHaveURL(/\/account$/);

  await page.goto('/account');
  const list = page.locator('.session-list__item');
  await expect(list).toHaveCount(2);
  await expect(page.locator('.session-list__item .badge')).toHaveText(['This device']);
  await expect(list.first()).toContainText('Chrome on Linux');
  const signOut = page.getByRole('button', { name: 'Sign out Chrome on Linux' });
  // The visible word starts the accessible name (WCAG 2.5.3).
  await expect(signOut).toHaveText('Sign out');
  await signOut.click();
  await expect(page.getByRole('status')).toHaveText('That device was signed out.');
  await expect(page.locator('.session-list__item')).toHaveCount(1);

  await otherPage.goto('/account');
  await expect(otherPage).toHaveURL(/\/login$/);
  await other.close();

  await page.getByRole('link', { name: 'See your security activity' }).click();
  await expect(page).toHaveURL(/\/account\/activity$/);
  await expect(page.getByRole('heading', { name: 'Security activity' })).toBeVisible();
  const events = page.locator('.event-list__title');
  await expect(events).toHaveText(['Signed out a device', 'Signed in from a new device', 'Account created']);
  await expect(page.locator('.event-list__item').first()).toContainText('Signed out: Chrome on Linux');
});
