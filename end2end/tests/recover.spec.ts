import { test, expect } from '@playwright/test';
import {
  freshEmail,
  GOOD_PASSWORD,
  recoveryCode,
  signIn,
  signUp,
  smsCode,
  startRecovery,
  waitForMessage,
  wrongCode,
} from './helpers';

const NEW_PASSWORD = 'Lighthouse4Meadow';

// Runs hydrated and with JavaScript off (@nojs): every step is a plain form post too.
test('forgot password: wrong code, right code, new password; every device signed out @nojs', async ({
  page,
  browser,
}) => {
  const email = freshEmail('recover');
  await signUp(page, email);
  // A second device that is signed in must be signed out by the reset.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, email, GOOD_PASSWORD);
  await expect(otherPage).toHaveURL(/\/account$/);

  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
  await startRecovery(page, email);
  const code = await recoveryCode(page.request, email);

  const field = page.getByLabel('Verification code');
  await expect(field).toHaveAttribute('inputmode', 'numeric');
  await expect(field).toHaveAttribute('autocomplete', 'one-time-code');
  await field.fill(wrongCode(code));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.locator('#field-code-error')).toHaveText('That code is wrong. 4 tries left.');
  await expect(page.getByLabel('Verification code')).toHaveAttribute('aria-invalid', 'true');

  // Pasted with a space in the middle, as some mail apps copy it.
  await page.getByLabel('Verification code').fill(`${code.slice(0, 3)} ${code.slice(3)}`);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/password$/);
  await expect(page.getByRole('heading', { name: 'Create a new password' })).toBeVisible();
  // Password managers learn whose password this is from a hidden username field, not sent.
  const username = page.locator('form input[autocomplete="username"]');
  await expect(username).toHaveValue(email);
  await expect(username).toBeHidden();
  await expect(username).not.toHaveAttribute('name');

  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Confirm new password', { exact: true }).fill('Lighthouse4Meadoq');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.locator('#field-confirm-error')).toHaveText("The two passwords don't match.");

  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).toHaveURL(/\/recover\/done$/);
  await expect(page.getByRole('heading', { name: 'Your password was changed' })).toBeVisible();
  await waitForMessage(page.request, email, /password was changed/);

  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, email, GOOD_PASSWORD);
  await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password.');
  await signIn(page, email, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/account$/);

  await otherPage.goto('/account');
  await expect(otherPage).toHaveURL(/\/login$/);
  await other.close();

  // The spent flow cannot be used again: its password screen now shows "done".
  await page.goto('/recover/password');
  await expect(page).toHaveURL(/\/recover\/done$/);
});

test('five wrong codes kill the code; a new code works', async ({ page }) => {
  const email = freshEmail('fivewrong');
  await signUp(page, email);
  await startRecovery(page, email);
  const code = await recoveryCode(page.request, email);
  const submit = page.getByRole('button', { name: 'Submit' });
  for (const left of ['4 tries', '3 tries', '2 tries', '1 try']) {
    await page.getByLabel('Verification code').fill(wrongCode(code));
    await submit.click();
    await expect(page.locator('#field-code-error')).toHaveText(`That code is wrong. ${left} left.`);
  }
  await page.getByLabel('Verification code').fill(wrongCode(code));
  await submit.click();
  await expect(page.locator('#field-code-error')).toHaveText(
    'That code can no longer be used. Send yourself a new code below.',
  );
  // Even the right code is refused now.
  await page.getByLabel('Verification code').fill(code);
  await submit.click();
  await expect(page.locator('#field-code-error')).toHaveText(/can no longer be used/);

  const resend = page.getByRole('button', { name: 'Resend code', exact: true });
  await expect(resend).toBeEnabled({ timeout: 10_000 });
  await resend.click();
  const fresh = await recoveryCode(page.request, email, 2);
  await page.getByLabel('Verification code').fill(fresh);
  await submit.click();
  await expect(page).toHaveURL(/\/recover\/password$/);
});

test('resend code counts down on screen, then sends a new code', async ({ page }) => {
  const email = freshEmail('countdown');
  await signUp(page, email);
  await startRecovery(page, email);
  await recoveryCode(page.request, email);

  const counting = page.getByRole('button', { name: /^Resend code in \d+ s$/ });
  await expect(counting).toBeDisabled();
  const seconds = async () => Number((await counting.textContent())!.match(/(\d+) s/)![1]);
  const first = await seconds();
  await expect.poll(seconds, { message: 'the countdown moves' }).toBeLessThan(first);

  // Counting, the button is still in the tab order (aria-disabled), and a press sends nothing.
  const sends: string[] = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('recover_send')) sends.push(r.url()); });
  await expect(counting).toHaveAttribute('aria-disabled', 'true');
  await page.getByRole('button', { name: 'Submit' }).focus();
  await page.keyboard.press('Tab');
  await expect(counting).toBeFocused();
  await page.keyboard.press('Enter');
  await counting.click({ force: true });
  await expect(counting).toBeVisible();
  expect(sends, 'a press while counting posts nothing').toEqual([]);

  const resend = page.getByRole('button', { name: 'Resend code', exact: true });
  await expect(resend).toBeEnabled({ timeout: 10_000 });
  await resend.click();
  await expect(page.getByRole('button', { name: /^Resend code in \d+ s$/ })).toBeDisabled();
  expect(sends, 'the press after the countdown posts once').toHaveLength(1);
  const second = await recoveryCode(page.request, email, 2);
  await page.getByLabel('Verification code').fill(second);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/password$/);
});

test('an unknown address walks the same screens and is sent nothing @nojs', async ({ page }) => {
  const email = freshEmail('nobody');
  await startRecovery(page, email);
  await page.getByLabel('Verification code').fill('123456');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.locator('#field-code-error')).toHaveText('That code is wrong. 4 tries left.');
  await expect(page.getByRole('button', { name: /^Resend code/ })).toBeVisible();
  // The sender runs every 200 ms; give it well over that, then make sure nothing went out.
  await page.waitForTimeout(1_000);
  const res = await page.request.get(`/dev/outbox.json?to=${encodeURIComponent(email)}`);
  expect(await res.json()).toEqual([]);
});

test('steps out of order go back to the right screen @nojs', async ({ page }) => {
  await page.goto('/recover/password');
  await expect(page).toHaveURL(/\/recover\?expired=1$/);
  await expect(page.getByRole('status')).toHaveText(
    'Your password reset expired or was already used. Please start again.',
  );
  await page.getByLabel('E-mail').fill(freshEmail('order'));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/verify$/);
  for (const path of ['/recover/code', '/recover/password', '/recover/done']) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/recover\/verify$/);
  }
  await page.goto('/recover');
  await page.getByLabel('E-mail').fill('not-an-address');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.locator('#field-email-error')).toHaveText('Enter an e-mail address like name@example.com.');
});

test('with a phone on file a new browser also gets a texted code; a remembered one skips it', async ({ browser }) => {
  const email = freshEmail('sms');
  const phone = `+4477009${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
  // Sign up in one browser; recover in another that has never been used for this account.
  const first = await browser.newContext();
  await signUp(await first.newPage(), email, GOOD_PASSWORD, phone);
  await first.close();
  const context = await browser.newContext();
  const page = await context.newPage();
  await startRecovery(page, email);
  await page.getByLabel('Verification code').fill(await recoveryCode(page.request, email));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/sms$/);
  await expect(page.getByRole('heading', { name: 'Check your phone' })).toBeVisible();
  await expect(page.getByText(`+44 •••• ••• ${phone.slice(-3)}`)).toBeVisible();
  await page.getByRole('button', { name: 'Send code by SMS' }).click();
  const texted = await smsCode(page.request, phone);
  await page.getByLabel('Verification code').fill(texted);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/password$/);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page).toHaveURL(/\/recover\/done$/);

  // This browser is now remembered for the account: the next recovery skips the text.
  await startRecovery(page, email);
  await page.getByLabel('Verification code').fill(await recoveryCode(page.request, email, 2));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/password$/);
  await context.close();
});
