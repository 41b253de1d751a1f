import { test, expect } from '@playwright/test';
import { freshEmail, GOOD_PASSWORD, signIn, signUp, waitForHydration, waitForMessage } from './helpers';

// Runs twice: hydrated, and with JavaScript off (@nojs) where every form is a plain post.
test('sign up, sign out, wrong password, sign in, sign out everywhere @nojs', async ({ page, browser }) => {
  const email = freshEmail('journey');
  await signUp(page, email);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login\?notice=signed-out$/);
  await expect(page.getByRole('status')).toHaveText("You're signed out.");

  await signIn(page, email, 'Tangerine7Harbour');
  await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password.');
  await expect(page).toHaveURL(/\/login/);

  // A second device signs in too; "sign out everywhere" must end its session as well.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, email, GOOD_PASSWORD);
  await expect(otherPage).toHaveURL(/\/account$/);

  await signIn(page, email, GOOD_PASSWORD);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page).toHaveURL(/\/login\?notice=everywhere$/);
  await expect(page.getByRole('status')).toHaveText("You're signed out on every device.");

  await otherPage.goto('/account');
  await expect(otherPage).toHaveURL(/\/login$/);
  await other.close();
});

test('Back after signing out does not show the account again @nojs', async ({ page }) => {
  const email = freshEmail('back');
  await signUp(page, email);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login\?notice=signed-out$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText(`Signed in as ${email}`)).toHaveCount(0);
});

test('an unknown address gets the same answer as a wrong password @nojs', async ({ page }) => {
  await signIn(page, freshEmail('nobody'), GOOD_PASSWORD);
  await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password.');
});

test('a double tap on "Sign in" sends the form once', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('E-mail').fill(freshEmail('double'));
  await page.getByLabel('Password', { exact: true }).fill('Tangerine7Harbour');
  const sent: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/login') sent.push(r.url());
  });
  // The answer takes a moment (held back here), and meanwhile the form is sent again, as a
  // second tap 150 ms after the first does (sent from the page: Playwright's own clicks wait
  // for the first navigation). Each send would be a sign-in of its own, two failures counted.
  await page.route('**/api/login', async (route) => {
    await new Promise((ok) => setTimeout(ok, 500));
    await route.continue().catch(() => {}); // a navigation the browser dropped
  });
  await page.getByRole('button', { name: 'Sign in' }).evaluate((button: HTMLButtonElement) => {
    button.click();
    setTimeout(() => button.click(), 150);
  });
  await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password.');
  expect(sent).toHaveLength(1);
  // The answer came: the form sends again.
  await page.getByLabel('Password', { exact: true }).fill('Tangerine7Harbour');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password.');
  expect(sent).toHaveLength(2);
});

test('the account page sends a signed-out visitor to sign in @nojs', async ({ page }) => {
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Forgot password?' })).toHaveAttribute('href', '/recover');
});

test('sign-up with a taken address looks the same and tells the owner by e-mail @nojs', async ({ page }) => {
  const email = freshEmail('taken');
  await signUp(page, email);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();

  await page.goto('/register');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('Another9Password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/register\/confirm$/);
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  await expect(page.getByText(/We sent a 6-digit code to/)).toBeVisible();
  await waitForMessage(page.request, email, /already|tried to create/i);

  // No code can finish it.
  await page.getByLabel('Verification code').fill('000000');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByText(/That code is wrong\. 4 tries left\./)).toBeVisible();
});

test('bad input gets a message on its field @nojs', async ({ page }) => {
  await page.goto('/register');
  await page.getByLabel('E-mail').fill('not-an-address');
  await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const email = page.getByLabel('E-mail');
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#field-email-error')).toHaveText('Enter an e-mail address like name@example.com.');

  await page.goto('/register');
  await page.getByLabel('E-mail').fill(freshEmail('weak'));
  await page.getByLabel('Password', { exact: true }).fill('password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#field-password-error')).not.toBeEmpty();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
});
